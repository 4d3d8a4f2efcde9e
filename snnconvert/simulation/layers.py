"""TensorFlow implementations of the linear nodes of the spiking graph.

One function per node type, registered in ``LINEAR_OPS``. Each takes the node and its
input signals and returns the output signal; none of them keeps state, so they apply
to every timestep at once. Neuron populations, which do keep state, live in
:mod:`snnconvert.simulation.populations`.
"""

import tensorflow as tf

from snnconvert.ir import nodes as ir
from snnconvert.simulation.signals import Signal, broadcast_together, map_linear

LINEAR_OPS = {}


def _implements(node_type):
    def decorator(function):
        LINEAR_OPS[node_type] = function
        return function

    return decorator


def _add_bias(tensor, bias):
    return tensor if bias is None else tf.nn.bias_add(tensor, bias)


@_implements(ir.DenseNode)
def dense(node, inputs):
    kernel = tf.constant(node.kernel)
    bias = None if node.bias is None else tf.constant(node.bias)

    def apply(x):
        if len(x.shape) == 2:
            return _add_bias(tf.matmul(x, kernel), bias)
        return _add_bias(tf.tensordot(x, kernel, axes=[[len(x.shape) - 1], [0]]), bias)

    return map_linear(apply, inputs[0])


@_implements(ir.Conv2DNode)
def conv2d(node, inputs):
    kernel = tf.constant(node.kernel)
    bias = None if node.bias is None else tf.constant(node.bias)

    def apply(x):
        y = tf.nn.conv2d(
            x,
            kernel,
            strides=node.strides,
            padding=node.padding.upper(),
            dilations=node.dilation_rate,
        )
        return _add_bias(y, bias)

    return map_linear(apply, inputs[0])


@_implements(ir.AveragePool2DNode)
def average_pool2d(node, inputs):
    def apply(x):
        return tf.nn.avg_pool2d(x, node.pool_size, node.strides, node.padding.upper())

    return map_linear(apply, inputs[0])


@_implements(ir.GlobalAveragePool2DNode)
def global_average_pool2d(node, inputs):
    return map_linear(lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=node.keepdims), inputs[0])


@_implements(ir.ReshapeNode)
def reshape(node, inputs):
    return map_linear(lambda x: tf.reshape(x, [-1, *node.shape]), inputs[0])


@_implements(ir.AffineNode)
def affine(node, inputs):
    scale, offset = tf.constant(node.scale), tf.constant(node.offset)
    signal = inputs[0]
    return Signal(signal.tensor * scale + offset, signal.temporal)


@_implements(ir.AddNode)
def add(node, inputs):
    tensors, temporal = broadcast_together(inputs)
    return Signal(tf.add_n(tensors) if len(tensors) > 1 else tensors[0], temporal)


@_implements(ir.ConcatenateNode)
def concatenate(node, inputs):
    temporal = any(signal.temporal for signal in inputs)
    if temporal:
        n_steps = next(s.tensor.shape[1] for s in inputs if s.temporal)
        tensors = [signal.expanded(n_steps) for signal in inputs]
    else:
        tensors = [signal.tensor for signal in inputs]
    # Node axes count from the first non-batch axis; a time axis shifts them by one.
    axis = node.axis + 1 + int(temporal)
    return Signal(tf.concat(tensors, axis=axis), temporal)
