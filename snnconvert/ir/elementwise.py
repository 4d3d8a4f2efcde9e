"""Element-wise nodes, and the non-spiking layers a user may allow inside a network."""

import dataclasses
from typing import ClassVar

import numpy as np

from snnconvert.ir.nodes import Node

__all__ = ["AffineNode", "InputSlot", "NonSpikingActivationNode", "NonSpikingLayerNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class AffineNode(Node):
    """``x * scale + offset``; both broadcast against the node's shape (numpy rules,
    without the batch axis), so a per-channel vector applies to the last axis."""

    linear: ClassVar[bool] = True

    scale: np.ndarray
    offset: np.ndarray

    def parameter_count(self) -> int:
        return self.scale.size + self.offset.size


@dataclasses.dataclass(eq=False, kw_only=True)
class NonSpikingActivationNode(Node):
    """A non-spiking activation (``function`` names a ``keras.activations`` function,
    e.g. ``"sigmoid"``) applied at every step to the value that reaches it.

    Only created when the user allows non-spiking layers: it passes on values, not
    spikes, so it usually wants a synapse on the spikes that feed it.
    """

    function: str

    def describe(self) -> str:
        return f"non-spiking {self.function}"


@dataclasses.dataclass(frozen=True)
class InputSlot:
    """Stands for the node's input number ``index`` in a recorded call."""

    index: int


@dataclasses.dataclass(eq=False, kw_only=True)
class NonSpikingLayerNode(Node):
    """A Keras layer (or ``keras.ops`` operation) with no spiking equivalent, run as it
    is (non-spiking) at every step on the values that reach it.

    ``layer`` is the Keras object itself, so this node is the one part of a graph that
    is not backend-neutral; exporters refuse it. ``call_args`` and ``call_kwargs`` are
    the arguments it was called with in the model, constants and options included,
    with an :class:`InputSlot` where each input goes.
    """

    layer: object
    call_args: tuple = ()
    call_kwargs: dict = dataclasses.field(default_factory=dict)

    def describe(self) -> str:
        return f"non-spiking Keras {type(self.layer).__name__}"
