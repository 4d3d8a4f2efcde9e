"""Counting work: synaptic operations of the spiking network, MACs of the ANN.

A spike of neuron ``i`` costs one accumulate per connection it drives in the next
weighted layer (Dense or Conv), reached through any pooling, reshaping, merging or
synapse nodes in between; its *fan-out* is that number of connections (or 1 where
it feeds another population or a graph output directly). Synaptic operations are
``sum(spikes x fan-out)``, the event-driven counterpart of the ANN's
multiply-accumulates (MACs), which are counted for every Dense and Conv output.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from snnconvert.ir import (
    AddNode,
    AveragePool2DNode,
    GlobalAveragePool2DNode,
    NeuronNode,
    WeightedNode,
)
from snnconvert.simulation.ops import OPS
from snnconvert.simulation.signals import Signal

_WEIGHTED = WeightedNode


def ann_macs(graph):
    """Multiply-accumulates of one ANN forward pass (Dense and Conv layers)."""
    return int(sum(node.size * node.fan_in for node in graph if isinstance(node, _WEIGHTED)))


def fan_out(graph, population):
    """Connections driven by one spike of each neuron of ``population``: ``[n_neurons]``.

    Computed exactly as the gradient of the summed connection counts downstream: each
    weighted layer is replaced by its mask of non-zero weights and average pooling by
    sum pooling, so the derivative with respect to a neuron counts its connections.
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
        if isinstance(node, NeuronNode):
            total += tf.reduce_sum(sources[0].tensor)
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
    if isinstance(node, AveragePool2DNode):
        # Sum pooling: each input cell feeds every window that covers it once, also
        # at borders with "same" padding, where average pooling divides by fewer cells.
        channels = inputs[0].tensor.shape[-1]
        ones = tf.ones((*node.pool_size, channels, 1))
        summed = tf.nn.depthwise_conv2d(inputs[0].tensor, ones, (1, *node.strides, 1), node.padding.upper())
        return Signal(summed, False)
    if isinstance(node, GlobalAveragePool2DNode):
        rows, cols = inputs[0].tensor.shape[1:3]
        return Signal(OPS[type(node)](node, inputs).tensor * (rows * cols), False)
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
