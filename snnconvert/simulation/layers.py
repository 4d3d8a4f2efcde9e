"""TensorFlow implementations of the linear nodes of the spiking graph.

One function per node type, registered in ``LINEAR_OPS``. Each takes the node and its
input signals and returns the output signal, in whichever form (static, per step,
cumulative; see :mod:`snnconvert.simulation.signals`) its input had. None keeps
state, so they apply to every step of a window at once. Neuron populations and
synapses, which keep state, live in :mod:`snnconvert.simulation.populations`.
"""

import functools

import tensorflow as tf

from snnconvert.ir import nodes as ir
from snnconvert.simulation.signals import Signal, add_constant, common_form, map_linear

LINEAR_OPS = {}


def _implements(node_type):
    def decorator(function):
        LINEAR_OPS[node_type] = function
        return function

    return decorator


def _constant(array):
    return None if array is None else tf.constant(array)


@_implements(ir.DenseNode)
def dense(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        if len(x.shape) == 2:
            return tf.matmul(x, kernel)
        return tf.tensordot(x, kernel, axes=[[len(x.shape) - 1], [0]])

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


@_implements(ir.Conv2DNode)
def conv2d(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        return tf.nn.conv2d(
            x, kernel, strides=node.strides, padding=node.padding.upper(), dilations=node.dilation_rate
        )

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


@_implements(ir.Conv1DNode)
def conv1d(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        return tf.nn.conv1d(x, kernel, stride=node.strides, padding=node.padding.upper(),
                            dilations=node.dilation_rate)

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


@_implements(ir.DepthwiseConv2DNode)
def depthwise_conv2d(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        return tf.nn.depthwise_conv2d(x, kernel, strides=(1, *node.strides, 1),
                                      padding=node.padding.upper(), dilations=node.dilation_rate)

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


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
    signal = inputs[0]
    scaled = Signal(signal.tensor * tf.constant(node.scale), signal.temporal, signal.cumulative)
    return add_constant(scaled, tf.constant(node.offset))


@_implements(ir.AddNode)
def add(node, inputs):
    tensors, (temporal, cumulative) = common_form(inputs)
    if node.coefficients:
        tensors = [tensor * coefficient for tensor, coefficient in zip(tensors, node.coefficients)]
    return Signal(functools.reduce(tf.add, tensors), temporal, cumulative)


@_implements(ir.ZeroPad2DNode)
def zero_pad2d(node, inputs):
    paddings = [[0, 0], list(node.padding[0]), list(node.padding[1]), [0, 0]]
    return map_linear(lambda x: tf.pad(x, paddings), inputs[0])


@_implements(ir.Crop2DNode)
def crop2d(node, inputs):
    (top, bottom), (left, right) = node.cropping

    def apply(x):
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]

    return map_linear(apply, inputs[0])


@_implements(ir.UpSample2DNode)
def upsample2d(node, inputs):
    rows, cols = node.factors
    return map_linear(lambda x: tf.repeat(tf.repeat(x, rows, axis=1), cols, axis=2), inputs[0])


@_implements(ir.PermuteNode)
def permute(node, inputs):
    return map_linear(lambda x: tf.transpose(x, [0, *(d + 1 for d in node.dims)]), inputs[0])


@_implements(ir.ConcatenateNode)
def concatenate(node, inputs):
    tensors, (temporal, cumulative) = common_form(inputs)
    if temporal:
        n_steps = next(t.shape[1] for t, s in zip(tensors, inputs) if s.temporal)
        tensors = [t if s.temporal or cumulative else tf.tile(t, [1, n_steps] + [1] * (len(t.shape) - 2))
                   for t, s in zip(tensors, inputs)]
    # Node axes count from the first non-batch axis; a time axis shifts them by one.
    axis = node.axis + 1 + int(temporal)
    return Signal(tf.concat(tensors, axis=axis), temporal, cumulative)
