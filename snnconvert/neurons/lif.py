"""Leaky integrate-and-fire neurons, with NengoDL's (and Nengo's) conventions.

* ``LIFRate``: for ``J > 1`` the rate is ``1 / (tau_ref + tau_rc * log(1 + 1 / (J - 1)))``
  (zero otherwise); the output is ``amplitude * rate``.
* ``LIF``: the voltage relaxes towards ``J`` with time constant ``tau_rc``, solved
  exactly over each step for a current held over the step; crossing 1 emits a spike
  (at most one per step), the voltage resets to 0 and the neuron stays silent for
  ``tau_ref``, counted from the interpolated moment of the spike inside the step.
  Voltages below 0 are clipped to 0. The output is ``n_spikes * amplitude / dt``.

``scale_firing_rates = s`` cannot multiply the input of a LIF neuron, whose rate is
not proportional to it. Dividing both time constants by ``s`` instead multiplies the
rate curve by exactly ``s`` (``rate(J; tau/s) = s * rate(J; tau)``), so with the
amplitude divided by ``s`` the time-averaged output is unchanged, as for ReLU. The
one limit is the spiking neuron's one spike per step: when ``tau_ref / s < dt``,
strongly driven neurons would fire faster than ``1 / dt`` and saturate there, and the
simulator warns.
"""

import warnings
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from snnconvert._validation import check_positive_number
from snnconvert.neurons.base import UNIT_RESPONSE, NeuronType, NotExportable, Response, values_per_step


class LIFState(NamedTuple):
    """``voltage`` and the ``refractory`` time left (seconds), both ``[batch, ...]``."""

    voltage: tf.Tensor
    refractory: tf.Tensor


class LIFRate(NeuronType):
    """Rate LIF: the rate curve of :class:`LIF`, for checking a conversion against an ANN
    trained with it (or a smoothed version of it)."""

    rectified = False

    def __init__(self, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
        super().__init__(amplitude)
        self.tau_rc = check_positive_number("tau_rc", tau_rc)
        if tau_ref is None or not tau_ref >= 0:
            raise ValueError(f"`tau_ref` must be >= 0. Received: tau_ref={tau_ref!r}")
        self.tau_ref = float(tau_ref)

    def _parameters(self):
        return {"tau_rc": self.tau_rc, "tau_ref": self.tau_ref, "amplitude": self.amplitude}

    def rates(self, current, response=UNIT_RESPONSE):
        """Firing rate (Hz, before amplitude) for an input current; the response's
        gain (or ``response`` itself, a number) divides the time constants, multiplying
        the rates by exactly the gain."""
        gain = _gain(response)
        tau_rc, tau_ref = self.tau_rc / gain, self.tau_ref / gain
        above = current > 1
        excess = tf.where(above, current - 1, tf.ones_like(current))
        return tf.where(above, 1 / (tau_ref + tau_rc * tf.math.log1p(1 / excess)), tf.zeros_like(current))


class LIF(LIFRate):
    """Spiking leaky integrate-and-fire neuron (at most one spike per step)."""

    spiking = True

    def rate_twin(self):
        return LIFRate(**self._parameters())

    def start(self, voltage):
        voltage = tf.convert_to_tensor(voltage, tf.float32)
        return LIFState(voltage, tf.zeros_like(voltage))

    def check_step(self, population, gain, dt):
        if self.tau_ref / gain < dt:
            warnings.warn(
                f"Population {population!r}: with scale_firing_rates={gain:g} its refractory period "
                f"({self.tau_ref / gain:.3g} s) is shorter than dt ({dt:g} s), so neurons driven hard "
                "would fire more than once per step; LIF neurons cannot, and saturate at 1/dt. Lower the "
                "scale or dt.",
                stacklevel=4,
            )

    def to_nir(self, nir, shape, gain):
        if self.tau_ref > 0:
            raise NotExportable(
                f"its LIF neurons have a refractory period (tau_ref={self.tau_ref:g} s) and NIR's LIF "
                "has none; convert with neuron_type=snnconvert.LIF(tau_ref=0) to export."
            )
        ones, zeros = np.ones(shape, np.float32), np.zeros(shape, np.float32)
        # The gain divides the time constants (see the module's notes), so it stays here.
        return nir.LIF(tau=np.full(shape, self.tau_rc / gain, np.float32), r=ones, v_leak=zeros,
                       v_threshold=ones, v_reset=zeros)

    def cumulative_counts(self, current, state, dt, current_is_cumulative=False, response=UNIT_RESPONSE):
        """Spikes emitted up to each step ``[batch, steps, ...]`` and the new state, for
        a current ``[batch, steps, ...]`` (its running sum if ``current_is_cumulative``);
        the response's gain (or ``response``, a number) divides the time constants."""
        gain = _gain(response)
        tau_rc, tau_ref = self.tau_rc / gain, self.tau_ref / gain
        voltage, refractory = state
        emitted = tf.zeros_like(voltage)
        running = []
        for value in values_per_step(current, current_is_cumulative):
            refractory = refractory - dt
            # Time of this step spent outside the refractory period.
            active = tf.clip_by_value(dt - refractory, 0.0, dt)
            voltage = voltage - (value - voltage) * tf.math.expm1(-active / tau_rc)
            spiked = voltage > 1
            excess = tf.where(spiked, value - 1, tf.ones_like(value))
            overshoot = tf.where(spiked, (voltage - 1) / excess, tf.zeros_like(value))
            # The spike happened when the voltage crossed 1; the refractory period starts then.
            after_spike = dt + tau_rc * tf.math.log1p(-overshoot)
            voltage = tf.where(spiked, tf.zeros_like(voltage), tf.maximum(voltage, 0.0))
            refractory = tf.where(spiked, tau_ref + after_spike, refractory)
            emitted = emitted + tf.cast(spiked, tf.float32)
            running.append(emitted)
        return tf.stack(running, axis=1), LIFState(voltage, refractory)


def _gain(response):
    """The gain of a :class:`~snnconvert.neurons.base.Response` as a float32 tensor (so
    that the time constants are divided in float32, as the simulator always did), or
    ``response`` itself if it is a number."""
    if isinstance(response, Response):
        return tf.convert_to_tensor(response.gain, tf.float32)
    return response
