"""What every neuron model shares."""

import tensorflow as tf

from snnconvert._validation import check_positive_number


class NeuronType:
    """Base class: a neuron model with an output ``amplitude`` (the weight of one spike).

    Subclasses with more parameters list them in ``_parameters`` so that equality,
    hashing (neuron types key compiled functions) and ``repr`` see them all.
    """

    spiking = False

    def __init__(self, amplitude=1.0):
        self.amplitude = check_positive_number("amplitude", amplitude)

    def _parameters(self):
        return {"amplitude": self.amplitude}

    def rate_twin(self):
        """The non-spiking type with this type's rate curve and parameters: ``self``
        for a rate type; a spiking type overrides this to name its twin."""
        if not self.spiking:
            return self
        raise NotImplementedError(f"{type(self).__name__} does not declare its rate twin (`rate_twin()`).")

    def __repr__(self):
        arguments = ", ".join(f"{key}={value:g}" for key, value in self._parameters().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self._parameters() == other._parameters()

    def __hash__(self):
        return hash((type(self).__name__, *self._parameters().items()))


def values_per_step(current, current_is_cumulative=False):
    """The current at each step of ``current`` ``[batch, steps, ...]``, one step at a
    time; a running sum (``current_is_cumulative``) is differenced step by step."""
    previous = None
    for step in range(current.shape[1]):
        value = current[:, step]
        if current_is_cumulative:
            value, previous = (value if previous is None else value - previous), value
        yield value


def differences(running):
    """Per-step values ``[batch, steps, ...]`` of running sums over the steps (axis 1)."""
    previous = tf.concat([tf.zeros_like(running[:, :1]), running[:, :-1]], axis=1)
    return running - previous
