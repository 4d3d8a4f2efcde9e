"""Neuron models: given the input current over time, they return spike counts and state.

Conventions (the same as NengoDL's):

* ``RectifiedLinear`` (rate): ``output = amplitude * max(J, 0)``.
* ``SpikingRectifiedLinear``: each step ``v += max(J, 0) * dt``; the neuron emits
  ``floor(v)`` spikes (several per step are allowed), subtracts them from ``v`` and
  outputs ``n_spikes * amplitude / dt``. Its time-averaged output therefore equals the
  rate neuron's.

A population's gain (``scale_firing_rates``) is applied to ``J`` by the simulator
before it reaches these functions, and its amplitude to the counts they return, so
the models here stay pure: currents in, integer spike counts and voltage out.

Because the reset subtracts, the spikes emitted up to step ``t`` equal
``floor(v0 + dt * sum_{k<=t} max(J_k, 0))``. The spiking model uses that identity to
compute a whole window of steps at once instead of looping over time. Its state is
that running sum and the spikes emitted so far (not the residual voltage), so that a
run split into windows performs the very same float operations as one long window and
no spike moves, even when the voltage lands exactly on a threshold.
"""

from typing import NamedTuple

import tensorflow as tf

from snnconvert._validation import check_positive_number


class NeuronType:
    """Base class: a neuron model with an output ``amplitude`` (the weight of one spike)."""

    spiking = False

    def __init__(self, amplitude=1.0):
        self.amplitude = check_positive_number("amplitude", amplitude)

    def __repr__(self):
        return f"{type(self).__name__}(amplitude={self.amplitude:g})"

    def __eq__(self, other):
        return type(self) is type(other) and self.amplitude == other.amplitude

    def __hash__(self):
        return hash((type(self).__name__, self.amplitude))


class RectifiedLinear(NeuronType):
    """Rate ReLU: the non-spiking twin used to check a conversion against Keras."""

    def rates(self, current):
        """Firing rate (before amplitude) for an input current of any shape."""
        return tf.nn.relu(current)


class SpikingState(NamedTuple):
    """State of a spiking ReLU population, each field ``[batch, ...]`` but ``elapsed``.

    ``initial`` is the voltage before the first step (in ``[0, 1)``), ``inflow`` the
    running sum of ``max(J, 0)``, ``emitted`` the spikes emitted so far and ``elapsed``
    the number of steps done (a scalar). The membrane voltage is
    ``initial + dt * inflow - emitted`` (see :meth:`voltage`).
    """

    initial: tf.Tensor
    inflow: tf.Tensor
    emitted: tf.Tensor
    elapsed: tf.Tensor

    @classmethod
    def start(cls, voltage):
        voltage = tf.convert_to_tensor(voltage, tf.float32)
        zeros = tf.zeros_like(voltage)
        return cls(voltage, zeros, zeros, tf.constant(0.0))

    def voltage(self, dt):
        return self.initial + dt * self.inflow - self.emitted


class SpikingRectifiedLinear(NeuronType):
    """Integrate-and-fire ReLU with subtractive reset and multiple spikes per step."""

    spiking = True

    def rates(self, current):
        return tf.nn.relu(current)

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
        # The running sum enters the cumulative sum as its first term: the additions
        # then happen in the same order whether or not the run was split into windows.
        # Summing currents before multiplying by dt keeps integer-valued inputs exact.
        padded = tf.concat([tf.expand_dims(state.inflow, 1), tf.nn.relu(current)], axis=1)
        inflow = tf.cumsum(padded, axis=1)[:, 1:]
        n_steps = current.shape[1]
        return _count(state, inflow, dt, state.elapsed + n_steps)

    def spike_counts_constant(self, current, n_steps, state, dt):
        """Spikes per step for a current held constant since the first step.

        ``current`` is ``[batch, ...]``; the result is as for :meth:`spike_counts`.
        No cumulative sum is needed: the inflow after step ``t`` is ``t * max(J, 0)``.
        """
        rank = len(current.shape)
        steps = state.elapsed + tf.range(1, n_steps + 1, dtype=current.dtype)
        steps = tf.reshape(steps, [1, n_steps] + [1] * (rank - 1))
        inflow = steps * tf.expand_dims(tf.nn.relu(current), 1)
        return _count(state, inflow, dt, state.elapsed + n_steps)


def _count(state, inflow, dt, elapsed):
    """Spikes per step from the running inflow ``[batch, steps, ...]``, and the new state."""
    emitted = tf.floor(tf.expand_dims(state.initial, 1) + dt * inflow)
    previous = tf.concat([tf.expand_dims(state.emitted, 1), emitted[:, :-1]], axis=1)
    counts = emitted - previous
    return counts, SpikingState(state.initial, inflow[:, -1], emitted[:, -1], elapsed)


NEURON_TYPES = {
    "spiking": SpikingRectifiedLinear,
    "rate": RectifiedLinear,
}


def as_neuron_type(value):
    """Accept a :class:`NeuronType` instance or one of the names in ``NEURON_TYPES``."""
    if isinstance(value, NeuronType):
        return value
    if isinstance(value, str) and value in NEURON_TYPES:
        return NEURON_TYPES[value]()
    names = ", ".join(repr(name) for name in NEURON_TYPES)
    raise ValueError(
        f"`neuron_type` must be a NeuronType instance or one of {names}. "
        f"Received: neuron_type={value!r}"
    )
