"""Dense layers and convolutions."""

import tensorflow as tf

from snnconvert.ir import weighted as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import add_constant, map_linear


def _constant(array):
    return None if array is None else tf.constant(array)


@implements(ir.DenseNode)
def dense(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        if len(x.shape) == 2:
            return tf.matmul(x, kernel)
        return tf.tensordot(x, kernel, axes=[[len(x.shape) - 1], [0]])

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


@implements(ir.Conv2DNode)
def conv2d(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        return tf.nn.conv2d(
            x, kernel, strides=node.strides, padding=node.padding.upper(), dilations=node.dilation_rate
        )

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


@implements(ir.Conv1DNode)
def conv1d(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        return tf.nn.conv1d(x, kernel, stride=node.strides, padding=node.padding.upper(),
                            dilations=node.dilation_rate)

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


@implements(ir.DepthwiseConv2DNode)
def depthwise_conv2d(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        return tf.nn.depthwise_conv2d(x, kernel, strides=(1, *node.strides, 1),
                                      padding=node.padding.upper(), dilations=node.dilation_rate)

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))
