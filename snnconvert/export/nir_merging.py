"""Sums and concatenations in the NIR export (rules used by ``nir.NirExporter``).

NIR has no node that adds: a node with several incoming edges receives the sum of
their values (nirtorch's executors, which Sinabs imports through, sum them too). So
an ``Add`` (and ``Subtract``, ``Average``: an ``AddNode`` with coefficients) writes no
node of its own; whatever reads it gets an edge from each summand. A summand that must
be multiplied first (a coefficient other than 1, or a gain or spike amplitude that
``nir_scales`` moved onto it) goes through a node that multiplies: a diagonal
``Affine`` or 1x1 convolution, which importers read, or NIR's ``Scale`` when the
export keeps the literal form (``fold_scales=False``).

A ``Concatenate`` along the channels (the last axis in snnconvert, the first in NIR)
becomes one ``Affine`` or 1x1 convolution per input, each placing its input's
channels in its slice of the output, all summed by the reader.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from snnconvert.ir import AddNode, ConcatenateNode

# A summand whose factor is this close to 1 is summed as it is: the factor is a gain
# times an amplitude (s * 1/s), whose float64 product may miss 1 by an ulp.
_UNIT_TOLERANCE = 1e-9


def weighted_sum(builder: Any, node: AddNode) -> Any:
    factors: dict[str, float] = {}
    index = builder.values[node.inputs[0]].index
    for position, name in enumerate(node.inputs):
        value = builder.values[name]
        if not np.array_equal(value.index, index):
            raise builder.refuse(
                node, f"its inputs {node.inputs[0]!r} and {name!r} reach NIR with their elements in different "
                "orders, and NIR sums inputs element by element.",
            )
        coefficient = node.coefficients[position] if node.coefficients else 1.0
        factor = builder.folding.term_factor.get((node.name, position), coefficient)
        for source in value.sources:
            factors[source] = factors.get(source, 0.0) + factor
    summands = [
        scaled(builder, f"{node.name}.{number}", source, factor, index.shape)
        for number, (source, factor) in enumerate(factors.items())
        if factor != 0
    ]
    if not summands:
        raise builder.refuse(node, "its inputs cancel out, so it is zero whatever the input; remove the layer.")
    return type(builder.values[node.inputs[0]])(tuple(summands) if len(summands) > 1 else summands[0], index)


def scaled(builder: Any, name: str, source: str, factor: float, shape: tuple[int, ...]) -> str:
    """``source`` multiplied by ``factor``: itself when the factor is 1, else a new node."""
    if math.isclose(factor, 1.0, rel_tol=_UNIT_TOLERANCE):
        return source
    if not builder.fold_scales or len(shape) > 3:
        return builder.emit(name, builder.nir.Scale(scale=np.full(shape, factor, np.float32)), source)
    channels = shape[0]
    return builder.emit(name, _channel_map(builder, factor * np.eye(channels, dtype=np.float32), shape[1:]), source)


def concatenate(builder: Any, node: ConcatenateNode) -> Any:
    rank = len(node.shape)
    if node.axis not in (rank - 1, -1) or rank > 3:
        raise builder.refuse(
            node, f"NIR can join tensors only along the channels of a value with at most 2 spatial axes; this "
            f"one joins axis {node.axis} of shape {node.shape}.",
        )
    offset, parts = 0, []
    for position, name in enumerate(node.inputs):
        value, channels = builder.values[name], builder.graph[name].shape[-1]
        factor = builder.folding.term_factor.get((node.name, position), 1.0)
        builder.channels_first_input(node, name, rank - 1)
        weight = np.zeros((node.shape[-1], channels), np.float32)
        # a flat input may hold its elements in any order (index); spatial ones are channels first
        rows = value.index if rank == 1 else np.arange(channels)
        weight[offset + rows, np.arange(channels)] = factor
        mapping = _channel_map(builder, weight, builder.graph[name].shape[:-1])
        parts.append(builder.emit(f"{node.name}.{position}", mapping, value.nir_name))
        offset += channels
    return builder.channels_first_value(tuple(parts), node.shape)


def _channel_map(builder: Any, weight: np.ndarray, spatial: tuple[int, ...]) -> Any:
    """The node computing ``weight @ x`` over the channels of each position of ``x``
    (``[channels, *spatial]``): an ``Affine`` for flat values, a 1x1 convolution else."""
    bias = np.zeros(weight.shape[0], np.float32)
    if not spatial:
        return builder.nir.Affine(weight=weight, bias=bias)
    if len(spatial) == 1:
        return builder.nir.Conv1d(
            input_shape=int(spatial[0]), weight=weight[:, :, None], stride=1, padding=0, dilation=1, groups=1,
            bias=bias,
        )
    return builder.nir.Conv2d(
        input_shape=tuple(int(s) for s in spatial), weight=weight[:, :, None, None], stride=1, padding=0,
        dilation=1, groups=1, bias=bias,
    )
