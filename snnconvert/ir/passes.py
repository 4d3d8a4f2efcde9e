"""Graph rewrites that keep a network's function and make it cheaper to simulate."""

import dataclasses

import numpy as np

from snnconvert.ir.elementwise import AffineNode
from snnconvert.ir.nodes import SynapseNode
from snnconvert.ir.weighted import WeightedNode


def fold_affine_into_linear(graph):
    """Merge each per-channel affine (a BatchNormalization) into the Dense/Conv before it.

    Only when the linear node feeds nothing but the affine and is not itself an output:
    otherwise another consumer would see the scaled values. ``(x W + b) * s + o`` equals
    ``x (W s) + (b s + o)``, so the result is exact up to float rounding.
    """
    merged, renamed = {}, {}
    for node in graph:
        if not isinstance(node, AffineNode) or len(node.inputs) != 1:
            continue
        producer = graph[node.inputs[0]]
        per_channel = node.scale.ndim <= 1 and node.offset.ndim <= 1
        if not (isinstance(producer, WeightedNode) and producer.foldable and per_channel):
            continue
        if producer.name in graph.outputs or len(graph.consumers(producer.name)) != 1:
            continue
        bias = producer.bias if producer.bias is not None else 0.0
        merged[producer.name] = dataclasses.replace(
            producer,
            source=f"{producer.source}+{node.source}",
            kernel=(producer.kernel * node.scale).astype(producer.kernel.dtype),
            bias=(bias * node.scale + node.offset).astype(producer.kernel.dtype),
        )
        renamed[node.name] = producer.name
    if not merged:
        return graph
    nodes = [
        dataclasses.replace(
            merged.get(node.name, node),
            inputs=tuple(renamed.get(name, name) for name in node.inputs),
        )
        for node in graph
        if node.name not in renamed
    ]
    return graph.replace(nodes, [renamed.get(name, name) for name in graph.outputs])




def defer_synapses(graph, keep=()):
    """Move each synapse past the linear nodes after it, while they shrink the signal.

    A low-pass filter with zero initial state is linear and time-invariant, so
    ``W (h * s) + b == (h * (W s)) + b``: filtering after the bias-free part of the next
    layer gives the same values (up to float rounding) with far less work when that
    layer is smaller, e.g. a 10-unit readout after a 9216-neuron layer. The bias moves
    into an affine node after the filter. Nodes named in ``keep`` (probed by the user)
    are left in place.
    """
    keep = set(keep)
    while True:
        move = _next_movable_synapse(graph, keep)
        if move is None:
            return graph
        graph = _swap(graph, *move)


def _next_movable_synapse(graph, keep):
    for node in graph:
        if not isinstance(node, SynapseNode) or node.name in keep or node.name in graph.outputs:
            continue
        consumers = graph.consumers(node.name)
        if len(consumers) != 1:
            continue
        consumer = consumers[0]
        if (
            consumer.linear
            and not _is_pure_offset(consumer)
            and len(consumer.inputs) == 1
            and consumer.name not in keep
            and consumer.size <= node.size
        ):
            return node, consumer
    return None


def _swap(graph, synapse, consumer):
    bias_free, offset = _split_offset(consumer)
    moved_synapse = dataclasses.replace(synapse, inputs=(consumer.name,), shape=consumer.shape)
    replacement = [dataclasses.replace(bias_free, inputs=synapse.inputs), moved_synapse]
    final = synapse.name
    if offset is not None:
        final = f"{consumer.name}.bias"
        replacement.append(
            AffineNode(
                name=final,
                inputs=(synapse.name,),
                shape=consumer.shape,
                source=consumer.source,
                scale=np.ones_like(offset),
                offset=offset,
            )
        )
    nodes = []
    for node in graph:
        if node is synapse:
            continue
        if node is consumer:
            nodes.extend(replacement)
            continue
        renamed = tuple(final if name == consumer.name else name for name in node.inputs)
        nodes.append(dataclasses.replace(node, inputs=renamed) if renamed != node.inputs else node)
    outputs = [final if name == consumer.name else name for name in graph.outputs]
    return graph.replace(nodes, outputs)


def _is_pure_offset(node):
    # Moving a synapse past a bias gains nothing, and would re-create the bias forever.
    return isinstance(node, AffineNode) and np.all(node.scale == 1)


def _split_offset(node):
    """``node`` without its additive constant, and that constant (or ``None``)."""
    if isinstance(node, WeightedNode) and node.bias is not None:
        return dataclasses.replace(node, bias=None), node.bias
    if isinstance(node, AffineNode) and np.any(node.offset != 0):
        return dataclasses.replace(node, offset=np.zeros_like(node.offset)), node.offset
    return node, None
