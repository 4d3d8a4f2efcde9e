"""Linear nodes with weights: dense layers and convolutions."""

import dataclasses
from typing import ClassVar

import numpy as np

from snnconvert.ir.nodes import Node

__all__ = ["WeightedNode", "DenseNode", "Conv2DNode", "Conv1DNode", "DepthwiseConv2DNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class WeightedNode(Node):
    """A linear node with a ``kernel`` and an optional ``bias``; subclasses say how the
    kernel is applied and how many inputs feed one output (``fan_in``)."""

    linear: ClassVar[bool] = True
    # Whether a per-output-channel scale folds into the kernel's last axis.
    foldable: ClassVar[bool] = False

    kernel: np.ndarray
    bias: np.ndarray | None = None

    def parameter_count(self):
        return self.kernel.size + (0 if self.bias is None else self.bias.size)


@dataclasses.dataclass(eq=False, kw_only=True)
class DenseNode(WeightedNode):
    """``x @ kernel + bias`` on the last axis."""

    foldable: ClassVar[bool] = True

    def describe(self):
        return f"{self.kernel.shape[0]}->{self.kernel.shape[1]}"

    @property
    def fan_in(self):
        return self.kernel.shape[0]


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv2DNode(WeightedNode):
    """2-D convolution, channels last; ``kernel`` is ``[rows, cols, in, out]``."""

    foldable: ClassVar[bool] = True

    strides: tuple = (1, 1)
    padding: str = "valid"
    dilation_rate: tuple = (1, 1)

    def describe(self):
        rows, cols, _, filters = self.kernel.shape
        return f"{filters}x{rows}x{cols} stride {self.strides} {self.padding}"

    @property
    def fan_in(self):
        rows, cols, channels, _ = self.kernel.shape
        return rows * cols * channels


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv1DNode(WeightedNode):
    """1-D convolution, channels last; ``kernel`` is ``[width, in, out]``."""

    foldable: ClassVar[bool] = True

    strides: int = 1
    padding: str = "valid"
    dilation_rate: int = 1

    def describe(self):
        width, _, filters = self.kernel.shape
        return f"{filters}x{width} stride {self.strides} {self.padding}"

    @property
    def fan_in(self):
        width, channels, _ = self.kernel.shape
        return width * channels


@dataclasses.dataclass(eq=False, kw_only=True)
class DepthwiseConv2DNode(WeightedNode):
    """Per-channel 2-D convolution; ``kernel`` is ``[rows, cols, in, multiplier]``."""

    strides: tuple = (1, 1)
    padding: str = "valid"
    dilation_rate: tuple = (1, 1)

    def describe(self):
        rows, cols, _, multiplier = self.kernel.shape
        return f"depthwise x{multiplier} {rows}x{cols} stride {self.strides} {self.padding}"

    @property
    def fan_in(self):
        rows, cols, _, _ = self.kernel.shape
        return rows * cols
