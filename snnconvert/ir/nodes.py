"""The node types of the spiking graph.

Every node holds plain numpy parameters and knows its output ``shape`` (without the
batch axis), the names of the nodes it reads, and the Keras layer it came from
(``source``). Nothing here depends on TensorFlow, so the simulator, the reports and
any exporter read the same description.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:  # the IR stays free of TensorFlow at run time
    from snnconvert.neurons.base import NeuronType
    from snnconvert.synapses import Lowpass


@dataclasses.dataclass(eq=False, kw_only=True)
class Node:
    """A value in the spiking graph: what produces it and from which inputs."""

    name: str
    inputs: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()
    source: str = ""

    # A single-input node that is linear and keeps no state: a synapse (linear and
    # time-invariant) may move past it, and spike counts pass through it unchanged.
    linear: ClassVar[bool] = False

    @property
    def kind(self) -> str:
        return type(self).__name__.removesuffix("Node")

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def parameter_count(self) -> int:
        return 0

    def describe(self) -> str:
        """A short human-readable account of the node's parameters."""
        return ""


@dataclasses.dataclass(eq=False, kw_only=True)
class InputNode(Node):
    """Where data enters: images held constant over time, or a ``[batch, steps, ...]`` input."""


@dataclasses.dataclass(frozen=True)
class Rectifier:
    """The rectified-linear response ``f`` of a population, as Keras's ``relu`` defines it:
    ``x`` from ``threshold`` up, ``negative_slope * (x - threshold)`` below it, and
    never above ``max_value`` (``None``: no limit). The default is the plain ReLU.

    A non-zero ``negative_slope`` (LeakyReLU) makes neurons emit negative spikes.
    """

    negative_slope: float = 0.0
    threshold: float = 0.0
    max_value: float | None = None

    @property
    def signed(self) -> bool:
        return self.negative_slope != 0

    @property
    def is_plain(self) -> bool:
        return self == Rectifier()

    def __str__(self) -> str:
        parts = []
        if self.negative_slope:
            parts.append(f"negative slope {self.negative_slope:g}")
        if self.threshold:
            parts.append(f"threshold {self.threshold:g}")
        if self.max_value is not None:
            parts.append(f"max {self.max_value:g}")
        return ", ".join(parts) or "relu"


@dataclasses.dataclass(eq=False, kw_only=True)
class NeuronNode(Node):
    """A neuron population, one neuron per input element.

    Each neuron is driven by ``gain * rectifier(J)`` for its input current ``J`` and
    each spike is worth ``amplitude`` (``scale_firing_rates = s`` gives ``gain = s``
    and ``amplitude = base / s``). For a piecewise-linear ``rectifier`` this equals
    rectifying ``s * J`` with thresholds scaled by ``s``, so scaling stays exact.
    """

    neuron_type: NeuronType
    gain: float = 1.0
    amplitude: float = 1.0
    rectifier: Rectifier = Rectifier()

    @property
    def spiking(self) -> bool:
        return self.neuron_type.spiking

    def describe(self) -> str:
        response = "" if self.rectifier.is_plain else f", {self.rectifier}"
        return f"{type(self.neuron_type).__name__}{response}, gain {self.gain:g}, amplitude {self.amplitude:g}"


@dataclasses.dataclass(eq=False, kw_only=True)
class SynapseNode(Node):
    """A low-pass filter over time on its input (linear, but it keeps state).

    The converter puts one after each neuron population that has a synapse. Being
    linear and time-invariant, it commutes with the bias-free part of a linear node,
    which lets the simulator filter the smaller of the two signals.
    """

    synapse: Lowpass

    def describe(self) -> str:
        return f"lowpass tau {self.synapse.tau:g} s"
