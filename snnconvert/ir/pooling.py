"""Pooling nodes: average and max pooling over windows, and over all positions (global).

Each family has one base class with the parameters; the 1D/2D/3D classes differ only
in their defaults and name, as Keras's layers do. Spatial shapes follow
``data_format``: ``"channels_last"`` ``(*spatial, channels)`` or ``"channels_first"``
``(channels, *spatial)``.

Average pooling is linear and keeps no state. Max pooling of spikes keeps state (see
:mod:`snnconvert.simulation.ops.pooling`): it is neither linear nor stateless, so
synapses are never moved past it.
"""

import dataclasses
from typing import ClassVar

from snnconvert.ir.nodes import Node

__all__ = [
    "AveragePoolNode",
    "AveragePool1DNode",
    "AveragePool2DNode",
    "AveragePool3DNode",
    "GlobalAveragePoolNode",
    "GlobalAveragePool1DNode",
    "GlobalAveragePool2DNode",
    "GlobalAveragePool3DNode",
    "MaxPoolNode",
    "MaxPool1DNode",
    "MaxPool2DNode",
    "MaxPool3DNode",
    "GlobalMaxPoolNode",
    "GlobalMaxPool1DNode",
    "GlobalMaxPool2DNode",
    "GlobalMaxPool3DNode",
]


@dataclasses.dataclass(eq=False, kw_only=True)
class _WindowPool(Node):
    """Windows of ``pool_size`` moved by ``strides``; ``padding`` is ``"valid"`` (only
    whole windows) or ``"same"`` (TensorFlow's: ``ceil(size / stride)`` windows, the
    odd extra cell of padding at the end); padded cells never count."""

    pool_size: tuple = (2, 2)
    strides: tuple = (2, 2)
    padding: str = "valid"
    data_format: str = "channels_last"

    @property
    def rank(self) -> int:
        """Number of spatial axes."""
        return len(self.pool_size)

    def describe(self) -> str:
        text = f"pool {self.pool_size} stride {self.strides} {self.padding}"
        return text if self.data_format == "channels_last" else f"{text}, {self.data_format}"


@dataclasses.dataclass(eq=False, kw_only=True)
class _GlobalPool(Node):
    """One value per channel over all spatial positions; ``keepdims`` keeps the spatial
    axes with size 1."""

    keepdims: bool = False
    data_format: str = "channels_last"

    def describe(self) -> str:
        text = "keepdims" if self.keepdims else ""
        if self.data_format != "channels_last":
            text = ", ".join(filter(None, [text, self.data_format]))
        return text


# ------------------------------------------------------------------ average


@dataclasses.dataclass(eq=False, kw_only=True)
class AveragePoolNode(_WindowPool):
    """Mean over each window; with ``"same"`` padding, over the window's real cells only."""

    linear: ClassVar[bool] = True


@dataclasses.dataclass(eq=False, kw_only=True)
class AveragePool1DNode(AveragePoolNode):
    pool_size: tuple = (2,)
    strides: tuple = (2,)


@dataclasses.dataclass(eq=False, kw_only=True)
class AveragePool2DNode(AveragePoolNode):
    pass


@dataclasses.dataclass(eq=False, kw_only=True)
class AveragePool3DNode(AveragePoolNode):
    pool_size: tuple = (2, 2, 2)
    strides: tuple = (2, 2, 2)


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalAveragePoolNode(_GlobalPool):
    linear: ClassVar[bool] = True


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalAveragePool1DNode(GlobalAveragePoolNode):
    pass


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalAveragePool2DNode(GlobalAveragePoolNode):
    pass


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalAveragePool3DNode(GlobalAveragePoolNode):
    pass


# ------------------------------------------------------------------ max


@dataclasses.dataclass(eq=False, kw_only=True)
class MaxPoolNode(_WindowPool):
    """Spiking max pooling: each window passes on the input of the unit that has
    received the most input so far. ``input_shape`` sizes the per-unit state."""

    input_shape: tuple = ()

    def describe(self) -> str:
        return f"gate on accumulated input, {super().describe()}"


@dataclasses.dataclass(eq=False, kw_only=True)
class MaxPool1DNode(MaxPoolNode):
    pool_size: tuple = (2,)
    strides: tuple = (2,)


@dataclasses.dataclass(eq=False, kw_only=True)
class MaxPool2DNode(MaxPoolNode):
    pass


@dataclasses.dataclass(eq=False, kw_only=True)
class MaxPool3DNode(MaxPoolNode):
    pool_size: tuple = (2, 2, 2)
    strides: tuple = (2, 2, 2)


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalMaxPoolNode(_GlobalPool):
    """Spiking max pooling over all positions of each channel (see :class:`MaxPoolNode`)."""

    input_shape: tuple = ()

    def describe(self) -> str:
        return ", ".join(filter(None, ["gate on accumulated input", super().describe()]))


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalMaxPool1DNode(GlobalMaxPoolNode):
    pass


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalMaxPool2DNode(GlobalMaxPoolNode):
    pass


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalMaxPool3DNode(GlobalMaxPoolNode):
    pass
