"""Pooling."""

import tensorflow as tf

from snnconvert.ir import pooling as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import map_linear


@implements(ir.AveragePool2DNode)
def average_pool2d(node, inputs):
    def apply(x):
        return tf.nn.avg_pool2d(x, node.pool_size, node.strides, node.padding.upper())

    return map_linear(apply, inputs[0])


@implements(ir.GlobalAveragePool2DNode)
def global_average_pool2d(node, inputs):
    return map_linear(lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=node.keepdims), inputs[0])
