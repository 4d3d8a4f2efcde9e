"""Element-wise nodes, and the non-spiking layers a user may allow inside a network."""

import dataclasses
from typing import ClassVar

import numpy as np

from snnconvert.ir.nodes import Node

__all__ = ["AffineNode", "NonSpikingActivationNode", "NonSpikingLayerNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class AffineNode(Node):
    """``x * scale + offset``; both broadcast against the node's shape (numpy rules,
    without the batch axis), so a per-channel vector applies to the last axis."""

    linear: ClassVar[bool] = True

    scale: np.ndarray
    offset: np.ndarray

    def parameter_count(self):
        return self.scale.size + self.offset.size


@dataclasses.dataclass(eq=False, kw_only=True)
class NonSpikingActivationNode(Node):
    """A non-spiking activation (``function`` names a ``keras.activations`` function,
    e.g. ``"sigmoid"``) applied at every step to the value that reaches it.

    Only created when the user allows non-spiking layers: it passes on values, not
    spikes, so it usually wants a synapse on the spikes that feed it.
    """

    function: str

    def describe(self):
        return f"non-spiking {self.function}"


@dataclasses.dataclass(eq=False, kw_only=True)
class NonSpikingLayerNode(Node):
    """A Keras layer with no spiking equivalent, run as it is (non-spiking) at every
    step on the values that reach it. ``layer`` is the Keras layer object itself, so
    this node is the one part of a graph that is not backend-neutral; exporters
    refuse it.
    """

    layer: object

    def describe(self):
        return f"non-spiking Keras {type(self.layer).__name__}"
