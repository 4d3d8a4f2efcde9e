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
compute a whole window of steps at once instead of looping over time.
"""

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


class SpikingRectifiedLinear(NeuronType):
    """Integrate-and-fire ReLU with subtractive reset and multiple spikes per step."""

    spiking = True

    def rates(self, current):
        return tf.nn.relu(current)

    def spike_counts(self, current, voltage, dt):
        """Spikes per step for a current that varies over time.

        Args:
            current: ``[batch, steps, ...]`` input current (gain already applied).
            voltage: ``[batch, ...]`` membrane state in ``[0, 1)`` before the first step.
            dt: step length in seconds.

        Returns:
            ``(counts, voltage)``: integer-valued ``[batch, steps, ...]`` spike counts
            and the membrane state after the last step.
        """
        # Summing the currents before multiplying by dt keeps integer-valued inputs
        # exact, so hand-worked spike trains land exactly on their thresholds.
        integrated = tf.expand_dims(voltage, 1) + dt * tf.cumsum(tf.nn.relu(current), axis=1)
        return _counts_from_integrated(integrated)

    def spike_counts_constant(self, current, n_steps, voltage, dt):
        """Spikes per step for a current held constant over ``n_steps`` steps.

        ``current`` and ``voltage`` are ``[batch, ...]``; the result is as for
        :meth:`spike_counts`. No cumulative sum is needed: ``v_t = v0 + t * J * dt``.
        """
        rank = len(current.shape)
        steps = tf.range(1, n_steps + 1, dtype=current.dtype)
        steps = tf.reshape(steps, [1, n_steps] + [1] * (rank - 1))
        per_step = tf.expand_dims(tf.nn.relu(current) * dt, 1)
        integrated = tf.expand_dims(voltage, 1) + steps * per_step
        return _counts_from_integrated(integrated)


def _counts_from_integrated(integrated):
    """Turn the integrated voltage ``v0 + sum(J dt)`` into spikes per step and new state."""
    emitted = tf.floor(integrated)
    # Spikes emitted before the first step are zero because v0 lies in [0, 1).
    previous = tf.concat([tf.zeros_like(emitted[:, :1]), emitted[:, :-1]], axis=1)
    counts = emitted - previous
    voltage = integrated[:, -1] - emitted[:, -1]
    return counts, voltage


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
