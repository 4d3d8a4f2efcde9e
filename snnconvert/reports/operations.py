"""Counting work: synaptic operations of the spiking network, MACs of the ANN.

A spike of neuron ``i`` costs one accumulate per connection it drives in the next
weighted layer (Dense or Conv), reached through any pooling, reshaping, merging or
synapse nodes in between; its *fan-out* is that number of connections (or 1 where
it feeds another population or a graph output directly). Synaptic operations are
``sum(spikes x fan-out)``, the event-driven counterpart of the ANN's
multiply-accumulates (MACs), which are counted for every Dense and Conv output.

A spiking max-pool gates spikes: a spike passes on into each window whose selected
unit (the one with the largest accumulated input) is its neuron, and drives that
window's connections; spikes of the other units are dropped and drive nothing. Which
windows select a neuron changes during a run, so the fan-out counted here is what a
spike drives when every window containing its neuron selects it: for populations
feeding a max-pool, synaptic operations are an upper bound (exact for units that win
all their windows, e.g. the only active unit of each window).
"""

import dataclasses

import numpy as np
import tensorflow as tf

from snnconvert.ir import (
    AddNode,
    AveragePoolNode,
    GlobalAveragePoolNode,
    GlobalMaxPoolNode,
    MaxPoolNode,
    NeuronNode,
    NonSpikingActivationNode,
    NonSpikingLayerNode,
    WeightedNode,
)
from snnconvert.simulation.ops import OPS
from snnconvert.simulation.ops import pooling as pooling_ops
from snnconvert.simulation.signals import Signal

_WEIGHTED = WeightedNode


def ann_macs(graph):
    """Multiply-accumulates of one ANN forward pass (Dense and Conv layers)."""
    return int(sum(node.macs(graph[node.inputs[0]].shape) for node in graph if isinstance(node, _WEIGHTED)))


def fan_out(graph, population):
    """Connections driven by one spike of each neuron of ``population``: ``[n_neurons]``.

    Computed exactly as the gradient of the summed connection counts downstream: each
    weighted layer is replaced by its mask of non-zero weights and average or max
    pooling by sum pooling, so the derivative with respect to a neuron counts its
    connections (through a max-pool: an upper bound, see the module docstring).
    """
    start = graph[population]
    x = tf.ones((1, *start.shape), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = _downstream_connections(graph, population, x)
    return tape.gradient(total, x).numpy().reshape(-1)


def synaptic_operations(graph, activity):
    """Layer name -> synaptic operations over the run, from ``result.activity``."""
    counts = {}
    for name, populated in activity.items():
        counts[name] = float(np.dot(populated.per_neuron, fan_out(graph, populated.node)))
    return counts


def _downstream_connections(graph, origin, x):
    values = {origin: Signal(x, temporal=False)}
    total = tf.constant(0.0)
    for node in graph:
        sources = [values.get(name) for name in node.inputs]
        if node.name == origin or all(s is None for s in sources):
            continue
        if isinstance(node, _WEIGHTED):
            total += tf.reduce_sum(_mask_op(node)(sources[0].tensor))
            continue
        if isinstance(node, (NeuronNode, NonSpikingActivationNode, NonSpikingLayerNode)):
            # Another population, or a non-spiking layer (not linear, so nothing is
            # passed through it): each arriving value is read once per element.
            total += sum(tf.reduce_sum(s.tensor) for s in sources if s is not None)
            continue
        # Inputs that do not descend from the origin carry no spikes of it.
        filled = [s if s is not None else Signal(tf.zeros((1, *graph[n].shape)), False)
                  for s, n in zip(sources, node.inputs)]
        values[node.name] = _pass_through(node, filled)
    # A value that leaves the network is read out once per element.
    for name in graph.outputs:
        if name in values:
            total += tf.reduce_sum(values[name].tensor)
    return total


def _mask_op(node):
    mask = (node.kernel != 0).astype(np.float32)
    masked = dataclasses.replace(node, kernel=mask, bias=None)
    return lambda tensor: OPS[type(node)](masked, [Signal(tensor, False)]).tensor


def _pass_through(node, inputs):
    if isinstance(node, (AveragePoolNode, MaxPoolNode)):
        # Sum pooling: a cell feeds every window that covers it once, also at borders
        # with "same" padding, where average pooling divides by fewer cells. For a
        # max-pool this is every window the neuron could win (the upper bound).
        return Signal(_sum_pool(node, inputs[0].tensor), False)
    if isinstance(node, (GlobalAveragePoolNode, GlobalMaxPoolNode)):
        tensor = inputs[0].tensor
        spatial = pooling_ops.spatial_axes(len(tensor.shape), node.data_format)
        return Signal(tf.reduce_sum(tensor, axis=spatial, keepdims=node.keepdims), False)
    if isinstance(node, AddNode):
        # A spike into a Subtract or Average still drives one connection.
        return OPS[AddNode](dataclasses.replace(node, coefficients=()), inputs)
    if type(node) in OPS:
        offset_free = node
        if hasattr(node, "offset"):
            offset_free = dataclasses.replace(node, offset=np.zeros_like(node.offset),
                                              scale=np.ones_like(node.scale))
        return OPS[type(node)](offset_free, inputs)
    return inputs[0]  # a synapse: it filters in time and adds no connections


def _sum_pool(node, tensor):
    """Window sums of ``[batch, *shape]``: each cell inside the input is added once
    into every window that covers it."""
    input_shape = tuple(tensor.shape[1:])
    flat = pooling_ops.spatial_flat(node, tensor, input_shape)
    axis = pooling_ops.positions_axis(node)
    positions, inside = pooling_ops.window_cells(node, input_shape)
    shape = [1] * len(flat.shape)
    shape[axis] = positions.shape[1]
    summed = sum(
        tf.gather(flat, cells, axis=axis) * tf.reshape(tf.constant(real, tf.float32), shape)
        for cells, real in zip(positions, inside)
    )
    return tf.reshape(summed, [-1, *node.shape])
