"""Linear nodes with weights: dense layers and convolutions.

Every convolution node is channels last and keeps one kernel convention:
``kernel[*window, in_channels // groups, out_channels]``, the output channel on the
last axis. Keras layouts that differ (depthwise and transposed kernels,
``channels_first`` data) are rearranged once, by the conversion rules, so the
simulator, the reports, BatchNormalization folding and any exporter see a single
form; a per-output-channel scale always folds into the kernel's last axis.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from snnconvert.ir.geometry import same_padding
from snnconvert.ir.nodes import Node

__all__ = [
    "WeightedNode",
    "DenseNode",
    "ConvolutionNode",
    "Conv1DNode",
    "Conv2DNode",
    "Conv3DNode",
    "DepthwiseConv1DNode",
    "DepthwiseConv2DNode",
    "ConvolutionTransposeNode",
    "Conv1DTransposeNode",
    "Conv2DTransposeNode",
    "Conv3DTransposeNode",
]


@dataclasses.dataclass(eq=False, kw_only=True)
class WeightedNode(Node):
    """A linear node with a ``kernel`` and an optional ``bias``; subclasses say how the
    kernel is applied and how many inputs feed one output (``fan_in``)."""

    linear: ClassVar[bool] = True
    # Whether a per-output-channel scale folds into the kernel's last axis.
    foldable: ClassVar[bool] = False

    kernel: np.ndarray
    bias: np.ndarray | None = None

    def parameter_count(self) -> int:
        return self.kernel.size + (0 if self.bias is None else self.bias.size)

    @property
    def fan_in(self) -> int:
        """How many inputs one output reads; every subclass says."""
        raise NotImplementedError

    def macs(self, input_shape: tuple[int, ...]) -> int:
        """Multiply-accumulates of one forward pass on an input of ``input_shape``
        (without the batch axis): every output reads ``fan_in`` inputs."""
        return self.size * self.fan_in


@dataclasses.dataclass(eq=False, kw_only=True)
class DenseNode(WeightedNode):
    """``x @ kernel + bias`` on the last axis (inputs of any rank)."""

    foldable: ClassVar[bool] = True

    def describe(self) -> str:
        return f"{self.kernel.shape[0]}->{self.kernel.shape[1]}"

    @property
    def fan_in(self) -> int:
        return self.kernel.shape[0]


def _as_tuple(value: int | Sequence[int] | None, rank: int) -> tuple[int, ...]:
    """``value`` as a tuple of ``rank`` ints; ``None`` or ``()`` means all ones."""
    if value is None or (not isinstance(value, (int, np.integer)) and len(value) == 0):
        return (1,) * rank
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    return tuple(int(v) for v in value)


@dataclasses.dataclass(eq=False, kw_only=True)
class ConvolutionNode(WeightedNode):
    """An N-D convolution, channels last; ``kernel`` is ``[*window, in // groups, out]``.

    ``padding`` is ``"valid"``, ``"same"`` (TensorFlow's rule: the odd pixel of
    padding goes after) or, in 1-D, ``"causal"`` (``dilation * (width - 1)`` zeros
    before, none after). With ``groups`` > 1 the input channels are split into that
    many equal groups, each convolved with its own slice of the output channels.
    ``strides`` and ``dilation_rate`` default to ones.
    """

    foldable: ClassVar[bool] = True

    # given as None (or left out): all ones
    strides: tuple[int, ...] = ()
    padding: str = "valid"
    dilation_rate: tuple[int, ...] = ()
    groups: int = 1

    def __post_init__(self) -> None:
        self.strides = _as_tuple(self.strides, self.rank)
        self.dilation_rate = _as_tuple(self.dilation_rate, self.rank)
        if self.groups < 1 or self.kernel.shape[-1] % self.groups:
            raise ValueError(
                f"`groups` must divide the kernel's {self.kernel.shape[-1]} output channels. "
                f"Received: groups={self.groups}."
            )

    @property
    def rank(self) -> int:
        """Number of spatial axes."""
        return self.kernel.ndim - 2

    @property
    def fan_in(self) -> int:
        return math.prod(self.kernel.shape[:-1])

    def describe(self) -> str:
        text = f"{self.kernel.shape[-1]}x{_geometry(self)}"
        return text + (f" groups {self.groups}" if self.groups > 1 else "")


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv1DNode(ConvolutionNode):
    """1-D convolution; ``kernel`` is ``[width, in // groups, out]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv2DNode(ConvolutionNode):
    """2-D convolution; ``kernel`` is ``[rows, cols, in // groups, out]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv3DNode(ConvolutionNode):
    """3-D convolution; ``kernel`` is ``[depth, rows, cols, in // groups, out]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class _DepthwiseConvolution(ConvolutionNode):
    """A convolution with one group per input channel (``groups`` = input channels).

    The kernel is ``[*window, 1, channels * multiplier]``: output channel
    ``c * multiplier + m`` is input channel ``c`` convolved with filter ``m``, as in
    Keras (whose ``[*window, channels, multiplier]`` kernel is the same array reshaped).
    """

    groups: int = dataclasses.field()  # the number of input channels: required, the kernel does not say it

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kernel.shape[-2] != 1 or self.kernel.shape[-1] % self.groups:
            raise ValueError(
                f"A depthwise kernel must be [*window, 1, channels * multiplier] with groups = channels; "
                f"received kernel shape {self.kernel.shape} and groups={self.groups}."
            )

    @property
    def depth_multiplier(self) -> int:
        return self.kernel.shape[-1] // self.groups

    def describe(self) -> str:
        return f"depthwise x{self.depth_multiplier} {_geometry(self)}"


@dataclasses.dataclass(eq=False, kw_only=True)
class DepthwiseConv1DNode(_DepthwiseConvolution):
    """Per-channel 1-D convolution; ``kernel`` is ``[width, 1, channels * multiplier]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class DepthwiseConv2DNode(_DepthwiseConvolution):
    """Per-channel 2-D convolution; ``kernel`` is ``[rows, cols, 1, channels * multiplier]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class ConvolutionTransposeNode(WeightedNode):
    """A transposed convolution, channels last; ``kernel`` is ``[*window, in, out]``.

    Input position ``i`` adds ``kernel[j] * x[i]`` to output position
    ``i * stride + j * dilation - crop`` for every tap ``j``; outputs outside
    ``shape`` are dropped. ``crop`` is 0 for ``"valid"`` padding and, for ``"same"``,
    half (rounded down) of ``(n - 1) * stride + dilation * (k - 1) + 1 - output
    size``, TensorFlow's rule. The output size (``shape``, which includes any
    Keras ``output_padding``) is part of the definition; ``output_padding`` is kept
    for reference.
    """

    foldable: ClassVar[bool] = True

    # given as None (or left out): all ones
    strides: tuple[int, ...] = ()
    padding: str = "valid"
    dilation_rate: tuple[int, ...] = ()
    output_padding: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.strides = _as_tuple(self.strides, self.rank)
        self.dilation_rate = _as_tuple(self.dilation_rate, self.rank)
        if self.output_padding is not None:
            self.output_padding = _as_tuple(self.output_padding, self.rank)

    @property
    def rank(self) -> int:
        return self.kernel.ndim - 2

    @property
    def fan_in(self) -> int:
        """The most inputs one output reads (outputs between strides read fewer taps)."""
        taps = 1
        for size, stride, dilation in zip(self.kernel.shape[:-2], self.strides, self.dilation_rate):
            residues = [(j * dilation) % stride for j in range(size)]
            taps *= max(residues.count(r) for r in set(residues))
        return taps * self.kernel.shape[-2]

    def crop(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Output positions cut off before the first one, per spatial axis."""
        crops = []
        for n, out, size, stride, dilation in zip(
            input_shape[:-1], self.shape[:-1], self.kernel.shape[:-2], self.strides, self.dilation_rate
        ):
            # The transposed convolution's output, padded "same", is the input of the
            # convolution it transposes: input and output swap roles.
            span = dilation * (size - 1) + 1
            crops.append(same_padding(out, n, stride, span)[0] if self.padding == "same" else 0)
        return tuple(crops)

    def macs(self, input_shape: tuple[int, ...]) -> int:
        """Exactly the products of real inputs with taps that land inside the output
        (not the zeros a zero-insertion implementation would multiply)."""
        pairs = 1
        for n, out, size, stride, dilation, crop in zip(
            input_shape[:-1], self.shape[:-1], self.kernel.shape[:-2], self.strides, self.dilation_rate,
            self.crop(input_shape),
        ):
            position = np.arange(n)[:, None] * stride + np.arange(size)[None, :] * dilation - crop
            pairs *= int(np.count_nonzero((position >= 0) & (position < out)))
        return pairs * self.kernel.shape[-2] * self.kernel.shape[-1]

    def describe(self) -> str:
        text = f"{self.kernel.shape[-1]}x{_geometry(self, 'transposed ')}"
        return text + (f" output_padding {self.output_padding}" if self.output_padding is not None else "")


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv1DTransposeNode(ConvolutionTransposeNode):
    """1-D transposed convolution; ``kernel`` is ``[width, in, out]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv2DTransposeNode(ConvolutionTransposeNode):
    """2-D transposed convolution; ``kernel`` is ``[rows, cols, in, out]``."""


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv3DTransposeNode(ConvolutionTransposeNode):
    """3-D transposed convolution; ``kernel`` is ``[depth, rows, cols, in, out]``."""


def _geometry(node: ConvolutionNode | ConvolutionTransposeNode, kind: str = "") -> str:
    """``"3x3 stride (1, 1) same"`` (and the dilation, when there is one) for ``describe``."""
    window = "x".join(map(str, node.kernel.shape[:-2]))
    text = f"{window} {kind}stride {node.strides} {node.padding}"
    return text + (f" dilation {node.dilation_rate}" if any(d > 1 for d in node.dilation_rate) else "")
