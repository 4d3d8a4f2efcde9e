"""How many connections a value drives downstream, node type by node type.

Counting runs backwards from the nodes that end a spike's way (a weighted node, a
population, a non-spiking layer, a graph output) to the population whose spikes are
counted: each node type has a rule that, given what one unit of each of its output
elements drives (``counts``, the node's shape), returns what one unit of each element
of each input drives. Rules work from the node's own geometry (``ir.geometry``), never
from the simulator. A node type with no rule stops the count with an error rather
than being taken for the identity, which would be wrong for any node that moves or
gates values.

A new IR node type gets its rule with :func:`counting_rule`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from snnconvert.ir import (
    AddNode,
    AffineNode,
    ConcatenateNode,
    ConvolutionNode,
    ConvolutionTransposeNode,
    CropNode,
    DenseNode,
    GlobalAveragePoolNode,
    GlobalMaxPoolNode,
    NeuronNode,
    Node,
    NonSpikingActivationNode,
    NonSpikingLayerNode,
    PermuteNode,
    ReshapeNode,
    SynapseNode,
    UpSampleNode,
    ZeroPadNode,
)
from snnconvert.ir.geometry import leading_padding, tap_matrix, window_matrix
from snnconvert.ir.pooling import AveragePoolNode, MaxPoolNode

__all__ = ["counting_rule", "ends_a_spike", "input_counts"]

# rule(node, counts, input_shapes) -> one array of counts per input, of its shape
Rule = Callable[[Any, Any, list], list]
_RULES: dict[type, Rule] = {}
_WEIGHTED = (DenseNode, ConvolutionNode, ConvolutionTransposeNode)
# Node types whose inputs are read, each element once, and whose values go nowhere
# a spike's connections are counted: another population, a non-spiking layer.
_TERMINAL = (NeuronNode, NonSpikingActivationNode, NonSpikingLayerNode)


def counting_rule(*node_types: type) -> Callable[[Rule], Rule]:
    """Register the decorated rule as the connection count through ``node_types``."""

    def register(rule: Rule) -> Rule:
        for node_type in node_types:
            _RULES[node_type] = rule
        return rule

    return register


def ends_a_spike(node: Node) -> bool:
    """Whether a spike arriving at ``node`` drives connections there and goes no further."""
    return isinstance(node, (*_WEIGHTED, *_TERMINAL))


def input_counts(node: Node, counts: np.ndarray | None, input_shapes: list[tuple]) -> list[np.ndarray]:
    """What one unit of each element of each input of ``node`` drives, given what each
    output element drives (``counts``; None for a node that ends a spike)."""
    for node_type in type(node).__mro__:
        if node_type in _RULES:
            return _RULES[node_type](node, counts, [tuple(shape) for shape in input_shapes])
    raise TypeError(
        f"Cannot count the connections through node {node.name!r} ({node.kind}): no counting rule for "
        f"{type(node).__name__}; register one with snnconvert.reports.connections.counting_rule."
    )


@counting_rule(*_TERMINAL)
def _read_once(node, counts, input_shapes):
    return [np.ones(shape) for shape in input_shapes]


@counting_rule(SynapseNode, AffineNode, AddNode)
def _element_wise(node, counts, input_shapes):
    # a filter in time, a scale and offset, a sum's coefficients (Subtract's -1,
    # Average's 1/n): they change values, not connections
    return [counts for _ in input_shapes]


@counting_rule(ReshapeNode)
def _reshaped(node, counts, input_shapes):
    return [counts.reshape(input_shapes[0])]


@counting_rule(PermuteNode)
def _permuted(node, counts, input_shapes):
    return [np.transpose(counts, np.argsort(node.dims))]


@counting_rule(ZeroPadNode)
def _padded(node, counts, input_shapes):
    kept = tuple(slice(before, before + size) for (before, _), size in zip(node.padding, input_shapes[0]))
    return [counts[kept]]


@counting_rule(CropNode)
def _cropped(node, counts, input_shapes):
    return [np.pad(counts, [tuple(pair) for pair in node.cropping])]


@counting_rule(UpSampleNode)
def _upsampled(node, counts, input_shapes):
    split = [dim for size, factor in zip(input_shapes[0], node.factors) for dim in (size, factor)]
    return [counts.reshape(split).sum(axis=tuple(range(1, len(split), 2)))]


@counting_rule(ConcatenateNode)
def _concatenated(node, counts, input_shapes):
    axis = node.axis % counts.ndim
    ends = np.cumsum([shape[axis] for shape in input_shapes])[:-1]
    return np.split(counts, ends, axis=axis)


# ------------------------------------------------------------------ weighted nodes: where a spike ends


@counting_rule(DenseNode)
def _dense(node, counts, input_shapes):
    rows = np.count_nonzero(node.kernel, axis=1)
    return [np.broadcast_to(rows, input_shapes[0]).astype(np.float64)]


@counting_rule(ConvolutionNode)
def _convolution(node, counts, input_shapes):
    """Each tap of the window reads the input cells that ``tap_matrix`` places under
    it, once for every non-zero weight from the cell's channel to an output filter."""
    (input_shape,) = input_shapes
    befores = [
        leading_padding(node.padding, size, out, stride, dilation * (window - 1) + 1)
        for size, out, window, stride, dilation in zip(
            input_shape[:-1], node.shape[:-1], node.kernel.shape[:-2], node.strides, node.dilation_rate
        )
    ]
    filters = _filters_reached(node, input_shape[-1])
    total = np.zeros(input_shape)
    for tap in itertools.product(*(range(size) for size in node.kernel.shape[:-2])):
        reads = [
            tap_matrix(size, out, stride, offset * dilation, before).sum(axis=1)
            for size, out, stride, offset, dilation, before in zip(
                input_shape[:-1], node.shape[:-1], node.strides, tap, node.dilation_rate, befores
            )
        ]
        total += _outer(reads)[..., None] * filters[tap]
    return [total]


def _filters_reached(node, channels):
    """``[*window, channels]``: non-zero weights from each input channel, at each tap,
    to the output filters of its group."""
    in_per_group = node.kernel.shape[-2]
    out_per_group = node.kernel.shape[-1] // node.groups
    nonzero = np.zeros((*node.kernel.shape[:-2], channels))
    for channel in range(channels):
        group = channel // in_per_group
        block = node.kernel[..., channel % in_per_group, group * out_per_group:(group + 1) * out_per_group]
        nonzero[..., channel] = np.count_nonzero(block, axis=-1)
    return nonzero


@counting_rule(ConvolutionTransposeNode)
def _transposed_convolution(node, counts, input_shapes):
    """Input cell ``i`` adds into output ``i * stride + tap * dilation - crop`` for
    every tap that lands inside the output, through each non-zero weight."""
    (input_shape,) = input_shapes
    filters = np.count_nonzero(node.kernel, axis=-1)  # [*window, in]
    total = np.zeros(input_shape)
    for tap in itertools.product(*(range(size) for size in node.kernel.shape[:-2])):
        reaches = [
            tap_matrix(out, size, stride, offset * dilation, crop).sum(axis=0)
            for size, out, stride, offset, dilation, crop in zip(
                input_shape[:-1], node.shape[:-1], node.strides, tap, node.dilation_rate, node.crop(input_shape)
            )
        ]
        total += _outer(reaches)[..., None] * filters[tap]
    return [total]


def _outer(vectors):
    """The outer product of per-axis vectors, ``[len(v0), len(v1), ...]``."""
    return math.prod(np.reshape(v, [-1 if a == i else 1 for a in range(len(vectors))]) for i, v in enumerate(vectors))


# ------------------------------------------------------------------ pooling


@counting_rule(AveragePoolNode, MaxPoolNode)
def _window_pool(node, counts, input_shapes):
    """A cell feeds every window that covers it (padded cells are no cells). Through a
    max-pool that is every window the cell could win: an upper bound."""
    channels_first = node.data_format == "channels_first"
    counts = np.moveaxis(counts, 0, -1) if channels_first else counts
    shape = input_shapes[0][1:] + input_shapes[0][:1] if channels_first else input_shapes[0]
    for axis, (size, out, window, stride) in enumerate(zip(shape[:-1], counts.shape[:-1], node.pool_size,
                                                            node.strides)):
        before = leading_padding(node.padding, size, out, stride, window)
        covering = window_matrix(size, out, stride, window, before)
        counts = np.moveaxis(np.tensordot(covering, counts, axes=([1], [axis])), 0, axis)
    return [np.moveaxis(counts, -1, 0) if channels_first else counts]


@counting_rule(GlobalAveragePoolNode, GlobalMaxPoolNode)
def _global_pool(node, counts, input_shapes):
    per_channel = counts.reshape(-1)
    shape = input_shapes[0]
    if node.data_format == "channels_first":
        return [np.broadcast_to(per_channel.reshape(-1, *([1] * (len(shape) - 1))), shape)]
    return [np.broadcast_to(per_channel, shape)]
