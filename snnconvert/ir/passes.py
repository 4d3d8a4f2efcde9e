"""Graph rewrites that keep a network's function and make it cheaper to simulate."""

import dataclasses

from snnconvert.ir.nodes import AffineNode, Conv2DNode, DenseNode

_FOLDABLE = (DenseNode, Conv2DNode)


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
        if not isinstance(producer, _FOLDABLE) or node.scale.ndim > 1:
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
