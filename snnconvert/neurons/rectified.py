"""Rectified-linear neurons: given the input current over time, they return spike
counts and state.

Conventions (the same as NengoDL's):

* ``RectifiedLinear`` (rate): ``output = amplitude * max(J, 0)``.
* ``SpikingRectifiedLinear``: each step ``v += max(J, 0) * dt``; the neuron emits
  ``floor(v)`` spikes (several per step are allowed), subtracts them from ``v`` and
  outputs ``n_spikes * amplitude / dt``. Its time-averaged output therefore equals the
  rate neuron's.

A population's response (its :class:`~snnconvert.ir.Rectifier` times its gain, from
``scale_firing_rates``) is passed in as ``response``, a function of the current (plain
``max(J, 0)`` by default); the amplitude is applied by the simulator to the counts
returned here, so the models stay pure: currents in, integer spike counts and voltage
out. A response that can go negative (LeakyReLU) gives negative spikes: the voltage
still stays in ``[0, 1)``, and a step that takes it below 0 emits ``floor(v) < 0``
spikes. Counting with ``floor`` on both sides keeps the closed form below exact and
a uniform initial voltage unbiased for either sign.

The spiking model performs exactly that per-step update, unrolled over a window of
steps inside one TensorFlow graph.
For a current held constant since the first step, as an image presented to the first
layer, it uses the closed form instead: with subtractive reset, the spikes emitted up
to step ``t`` are ``floor(v0 + t * max(J, 0) * dt)``, one element-wise expression.

The state (:class:`SpikingState`) makes a run split into windows perform the very same
float operations on the currents it receives as one long window, so no spike moves,
even when the voltage lands exactly on a threshold.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from snnconvert.neurons.base import UNIT_RESPONSE, KernelUse, NeuronType, values_per_step
from snnconvert.neurons.response import drive, rectify  # noqa: F401  (their home before neurons.response)


class RectifiedLinear(NeuronType):
    """Rate ReLU: the non-spiking twin used to check a conversion against Keras."""

    rectified = True  # its response is a Rectifier (ReLU with Keras's options)
    linear_gain = True

    def rates(self, current, response=UNIT_RESPONSE):
        """Firing rate (before amplitude) for an input current of any shape."""
        return response(current)

    def signed_spikes(self, rectifier):
        # A leaky rectifier drives the voltage down: "negative spikes".
        return rectifier.signed


class SpikingState(NamedTuple):
    """State of a spiking ReLU population: ``voltage``, ``initial`` (``[batch, ...]``)
    and ``elapsed`` (a scalar count of steps done).

    A time-varying current updates ``voltage`` step by step. A constant current uses
    the closed form from ``initial`` (the voltage before the first step) and the
    global step count, which keeps its rounding independent of how the run is split.
    """

    voltage: tf.Tensor
    initial: tf.Tensor
    elapsed: tf.Tensor

    @classmethod
    def start(cls, voltage):
        voltage = tf.convert_to_tensor(voltage, tf.float32)
        return cls(voltage, voltage, tf.constant(0.0))


class SpikingRectifiedLinear(RectifiedLinear):
    """Integrate-and-fire ReLU with subtractive reset and multiple spikes per step."""

    spiking = True
    closed_form = True

    def rate_twin(self):
        return RectifiedLinear(**self._parameters())

    def start(self, voltage):
        return SpikingState.start(voltage)

    def kernel_use(self, rectifier):
        # The kernel is this very update; any other rectifier's response is computed first.
        return KernelUse(rectify=rectifier.is_plain, signed=rectifier.signed)

    def to_nir(self, nir, shape, gain):
        return nir.IF(r=np.full(shape, gain, np.float32), v_threshold=np.ones(shape, np.float32),
                      v_reset=np.zeros(shape, np.float32))

    def spike_counts(self, current, state, dt):
        """Spikes per step for a current that varies over time.

        Args:
            current: ``[batch, steps, ...]`` input current (gain already applied).
            state: a :class:`SpikingState` (``SpikingState.start(v0)`` to begin).
            dt: step length in seconds.

        Returns:
            ``(counts, state)``: integer-valued ``[batch, steps, ...]`` spike counts
            and the state after the last step.
        """
        return _per_step(*self.cumulative_counts(current, state, dt))

    def spike_counts_constant(self, current, n_steps, state, dt):
        """Spikes per step for a current ``[batch, ...]`` held constant since the
        first step of the run, for ``n_steps`` more steps."""
        return _per_step(*self.cumulative_counts_constant(current, n_steps, state, dt))

    def cumulative_counts(self, current, state, dt, current_is_cumulative=False, response=UNIT_RESPONSE):
        """Like :meth:`spike_counts`, but the counts are summed up to each step.

        With ``current_is_cumulative``, ``current`` holds the running sum of the input
        current over the window instead of its value at each step. ``response`` maps
        the current at one step to the voltage it adds per second.
        """
        increments = (response(value) * dt for value in values_per_step(current, current_is_cumulative))
        running, voltage = _integrate(increments, state.voltage)
        return running, SpikingState(voltage, state.initial, state.elapsed + current.shape[1])

    def cumulative_counts_constant(self, current, n_steps, state, dt, response=UNIT_RESPONSE):
        """Like :meth:`spike_counts_constant`, but summed up to each step."""
        rank = len(current.shape)
        steps = state.elapsed + tf.range(n_steps + 1, dtype=current.dtype)
        steps = tf.reshape(steps, [1, n_steps + 1] + [1] * (rank - 1))
        per_step = tf.expand_dims(response(current) * dt, 1)
        emitted = tf.floor(tf.expand_dims(state.initial, 1) + steps * per_step)
        voltage = state.initial + (state.elapsed + n_steps) * per_step[:, 0] - emitted[:, -1]
        running = emitted[:, 1:] - emitted[:, :1]
        return running, SpikingState(voltage, state.initial, state.elapsed + n_steps)


def _integrate(increments, voltage):
    """The per-step update, unrolled: ``v += increment; n = floor(v); v -= n``.

    Returns the spikes emitted up to each step ``[batch, steps, ...]`` and the voltage.
    """
    emitted = tf.zeros_like(voltage)
    running = []
    for increment in increments:
        voltage = voltage + increment
        spikes = tf.floor(voltage)
        voltage = voltage - spikes
        emitted = emitted + spikes
        running.append(emitted)
    return tf.stack(running, axis=1), voltage


def _per_step(running, voltage):
    # Imported here: the simulation package (home of `differences`) imports the neurons.
    from snnconvert.simulation.signals import differences

    return differences(running), voltage
