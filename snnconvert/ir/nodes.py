"""The node types of the spiking graph.

Every node holds plain numpy parameters and knows its output ``shape`` (without the
batch axis), the names of the nodes it reads, and the Keras layer it came from
(``source``). Nothing here depends on TensorFlow, so the simulator, the reports and
any exporter read the same description.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(eq=False, kw_only=True)
class Node:
    """A value in the spiking graph: what produces it and from which inputs."""

    name: str
    inputs: tuple = ()
    shape: tuple = ()
    source: str = ""

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
class WeightedNode(Node):
    """A linear node with a ``kernel`` and an optional ``bias``; subclasses say how the
    kernel is applied and how many inputs feed one output (``fan_in``)."""

    kernel: np.ndarray
    bias: np.ndarray | None = None

    def parameter_count(self):
        return self.kernel.size + (0 if self.bias is None else self.bias.size)


@dataclasses.dataclass(eq=False, kw_only=True)
class DenseNode(WeightedNode):
    """``x @ kernel + bias`` on the last axis."""

    def describe(self):
        return f"{self.kernel.shape[0]}->{self.kernel.shape[1]}"

    @property
    def fan_in(self):
        return self.kernel.shape[0]


@dataclasses.dataclass(eq=False, kw_only=True)
class Conv2DNode(WeightedNode):
    """2-D convolution, channels last; ``kernel`` is ``[rows, cols, in, out]``."""

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


@dataclasses.dataclass(eq=False, kw_only=True)
class AveragePool2DNode(Node):
    pool_size: tuple = (2, 2)
    strides: tuple = (2, 2)
    padding: str = "valid"

    def describe(self):
        return f"pool {self.pool_size} stride {self.strides} {self.padding}"


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalAveragePool2DNode(Node):
    keepdims: bool = False


@dataclasses.dataclass(eq=False, kw_only=True)
class ReshapeNode(Node):
    """Reorders nothing: the values keep their (row-major) order under the new ``shape``."""

    def describe(self):
        return f"-> {self.shape}"


@dataclasses.dataclass(eq=False, kw_only=True)
class AffineNode(Node):
    """Element-wise ``x * scale + offset``, both broadcast against the last axis."""

    scale: np.ndarray
    offset: np.ndarray

    def parameter_count(self):
        return self.scale.size + self.offset.size


@dataclasses.dataclass(eq=False, kw_only=True)
class AddNode(Node):
    """Sum of the inputs, each times its coefficient (all 1 when ``coefficients`` is
    empty): Add, Subtract (1, -1) and Average (1/n each) alike."""

    coefficients: tuple = ()


@dataclasses.dataclass(eq=False, kw_only=True)
class ZeroPad2DNode(Node):
    """Zeros around the rows and columns: ``padding = ((top, bottom), (left, right))``."""

    padding: tuple = ((0, 0), (0, 0))


@dataclasses.dataclass(eq=False, kw_only=True)
class Crop2DNode(Node):
    """Rows and columns cut off: ``cropping = ((top, bottom), (left, right))``."""

    cropping: tuple = ((0, 0), (0, 0))


@dataclasses.dataclass(eq=False, kw_only=True)
class UpSample2DNode(Node):
    """Nearest-neighbour upsampling: each cell repeated ``factors = (rows, cols)`` times."""

    factors: tuple = (2, 2)


@dataclasses.dataclass(eq=False, kw_only=True)
class PermuteNode(Node):
    """Reorders the non-batch axes: output axis i is input axis ``dims[i]`` (0-based)."""

    dims: tuple = ()


@dataclasses.dataclass(eq=False, kw_only=True)
class ConcatenateNode(Node):
    """Joins the inputs along ``axis``, counted among the non-batch axes (0 = first)."""

    axis: int = -1


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
