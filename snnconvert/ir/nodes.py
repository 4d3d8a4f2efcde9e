"""The node types of the spiking graph.

Every node holds plain numpy parameters and knows its output ``shape`` (without the
batch axis), the names of the nodes it reads, and the Keras layer it came from
(``source``). Nothing here depends on TensorFlow, so the simulator, the reports and
any exporter read the same description.
"""

import dataclasses
from typing import ClassVar

import numpy as np


@dataclasses.dataclass(eq=False, kw_only=True)
class Node:
    """A value in the spiking graph: what produces it and from which inputs."""

    name: str
    inputs: tuple = ()
    shape: tuple = ()
    source: str = ""

    # A single-input node that is linear and keeps no state: a synapse (linear and
    # time-invariant) may move past it, and spike counts pass through it unchanged.
    linear: ClassVar[bool] = False

    @property
    def kind(self):
        return type(self).__name__.removesuffix("Node")

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def parameter_count(self):
        return 0

    def describe(self):
        """A short human-readable account of the node's parameters."""
        return ""


@dataclasses.dataclass(eq=False, kw_only=True)
class InputNode(Node):
    """Where data enters: images held constant over time, or a ``[batch, steps, ...]`` input."""


@dataclasses.dataclass(eq=False, kw_only=True)
class NeuronNode(Node):
    """A neuron population, one neuron per input element.

    The input current is multiplied by ``gain`` and each spike is worth ``amplitude``
    (``scale_firing_rates = s`` gives ``gain = s`` and ``amplitude = base / s``).
    """

    neuron_type: object
    gain: float = 1.0
    amplitude: float = 1.0

    @property
    def spiking(self):
        return self.neuron_type.spiking

    def describe(self):
        return f"{type(self.neuron_type).__name__}, gain {self.gain:g}, amplitude {self.amplitude:g}"


@dataclasses.dataclass(eq=False, kw_only=True)
class SynapseNode(Node):
    """A low-pass filter over time on its input (linear, but it keeps state).

    The converter puts one after each neuron population that has a synapse. Being
    linear and time-invariant, it commutes with the bias-free part of a linear node,
    which lets the simulator filter the smaller of the two signals.
    """

    synapse: object

    def describe(self):
        return f"lowpass tau {self.synapse.tau:g} s"
