"""What every neuron model shares."""

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

    def __repr__(self):
        arguments = ", ".join(f"{key}={value:g}" for key, value in self._parameters().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self._parameters() == other._parameters()

    def __hash__(self):
        return hash((type(self).__name__, *self._parameters().items()))
