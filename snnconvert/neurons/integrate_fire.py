"""Integrate-and-fire neurons that integrate the signed input current.

``IntegrateAndFire``: each step ``v += gain * J * dt`` with ``J`` of either sign, the
neuron emits ``max(floor(v), 0)`` spikes (several per step are allowed), subtracts them
from ``v`` and outputs ``n_spikes * amplitude / dt``. The membrane may go below zero
and is never clamped there.

Why not rectify the current at every step, as :class:`SpikingRectifiedLinear` does:
a neuron deep in a network receives spikes, so its current swings around its mean.
Rectifying each step keeps the positive swings and drops the negative ones, which
turns zero-mean noise into extra spikes; the next layer inherits that surplus and
adds its own. Integrating the signed current lets the swings cancel, so the spikes
emitted up to step ``t`` track ``relu`` of the *integrated* input (to within one
spike, less whatever was emitted before the integral turned down), which is what a
rate-coded ReLU needs.

For a current held constant since the first step, the integral is monotonic, so the
spikes up to step ``t`` are ``max(floor(v0 + t * gain * J * dt), 0)``: exactly the
closed form of :class:`SpikingRectifiedLinear`. Only the voltage differs (here it
goes below zero for a negative current; there it stays at ``v0``). Its rate twin is
:class:`RectifiedLinear`.

Only the plain ReLU has this reading: a population with Keras's ReLU options
(negative slope, threshold, maximum) has no signed integral to track, and is
refused (keep :class:`SpikingRectifiedLinear` for those).
"""

import numpy as np
import tensorflow as tf

from snnconvert.neurons.base import UNIT_RESPONSE, KernelUse, NeuronType, differences, values_per_step
from snnconvert.neurons.rectified import RectifiedLinear, SpikingState


class IntegrateAndFire(NeuronType):
    """Integrate-and-fire ReLU on the signed current: subtractive reset, several spikes
    per step, no floor on the membrane voltage.

    Args:
        amplitude: the weight of one spike.
        initial_voltage: ``None`` (default): the membrane starts where the simulator's
            ``initial_state`` puts it; a number in ``[0, 1)``: every neuron starts
            there whatever ``initial_state`` says. ``0.5`` rounds each neuron's count
            to the nearest whole spike; a uniform random start rounds up or down at
            random, which adds a variance that deep networks compound layer after
            layer (see the README's deep-network table).
    """

    spiking = True
    rectified = True
    # For a constant current its spikes are the ReLU closed form's (see the module's notes),
    # so XLA's closed form and the firing of spikes into the next layer serve it too.
    closed_form = True
    linear_gain = True

    def __init__(self, amplitude=1.0, initial_voltage=None):
        super().__init__(amplitude)
        if initial_voltage is not None and not 0 <= initial_voltage < 1:
            raise ValueError(
                "`initial_voltage` must be None (the simulator's initial_state) or a number in [0, 1), "
                f"a fraction of the threshold. Received: initial_voltage={initial_voltage!r}"
            )
        self.initial_voltage = None if initial_voltage is None else float(initial_voltage)

    def _parameters(self):
        return {"amplitude": self.amplitude, "initial_voltage": self.initial_voltage}

    def __repr__(self):
        start = "" if self.initial_voltage is None else f", initial_voltage={self.initial_voltage:g}"
        return f"IntegrateAndFire(amplitude={self.amplitude:g}{start})"

    def rate_twin(self):
        return RectifiedLinear(self.amplitude)

    def start(self, voltage):
        if self.initial_voltage is not None:
            voltage = tf.fill(tf.shape(voltage), tf.constant(self.initial_voltage, tf.float32))
        return SpikingState.start(voltage)

    def rates(self, current, response=UNIT_RESPONSE):
        return response(current)

    def kernel_use(self, rectifier):
        # The compiled kernel's integrate-and-fire mode computes gain * J itself.
        return KernelUse(rectify=False, signed=False, signed_current=True) if rectifier.is_plain else None

    def to_nir(self, nir, shape, gain):
        # NIR's IF integrates the signed current too: with a subtractive reading of its reset
        # (as Sinabs runs it) this is the very model.
        return nir.IF(r=np.full(shape, gain, np.float32), v_threshold=np.ones(shape, np.float32),
                      v_reset=np.zeros(shape, np.float32))

    def spike_counts(self, current, state, dt, response=UNIT_RESPONSE):
        """Spikes per step ``[batch, steps, ...]`` and the state after the last step."""
        running, state = self.cumulative_counts(current, state, dt, response=response)
        return differences(running), state

    def cumulative_counts(self, current, state, dt, current_is_cumulative=False, response=UNIT_RESPONSE):
        """Spikes emitted up to each step of ``current`` ``[batch, steps, ...]``.

        ``response`` is the population's drive, ``relu(gain * J)`` (the simulator's
        contract); the signed drive is recovered as ``response(J) - response(-J)``,
        which is ``gain * J`` exactly for a plain ReLU (one of the two terms is zero).
        """
        emitted = tf.zeros_like(state.voltage)
        voltage = state.voltage
        running = []
        for value in values_per_step(current, current_is_cumulative):
            voltage = voltage + signed_drive(value, response) * dt
            spikes = tf.maximum(tf.floor(voltage), 0.0)
            voltage = voltage - spikes
            emitted = emitted + spikes
            running.append(emitted)
        return tf.stack(running, axis=1), SpikingState(voltage, state.initial, state.elapsed + current.shape[1])

    def cumulative_counts_constant(self, current, n_steps, state, dt, response=UNIT_RESPONSE):
        """As :meth:`cumulative_counts` for a current ``[batch, ...]`` held constant since
        the first step of the run, for ``n_steps`` more steps (closed form)."""
        rank = len(current.shape)
        steps = state.elapsed + tf.range(n_steps + 1, dtype=current.dtype)
        steps = tf.reshape(steps, [1, n_steps + 1] + [1] * (rank - 1))
        per_step = tf.expand_dims(signed_drive(current, response) * dt, 1)
        emitted = tf.maximum(tf.floor(tf.expand_dims(state.initial, 1) + steps * per_step), 0.0)
        voltage = state.initial + (state.elapsed + n_steps) * per_step[:, 0] - emitted[:, -1]
        running = emitted[:, 1:] - emitted[:, :1]
        return running, SpikingState(voltage, state.initial, state.elapsed + n_steps)


def signed_drive(current, response):
    """``gain * J`` from a plain ReLU drive ``response(J) = relu(gain * J)``."""
    return response(current) - response(-current)
