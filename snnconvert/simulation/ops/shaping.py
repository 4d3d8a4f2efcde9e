"""Reshaping, padding, cropping, upsampling and permuting."""

import tensorflow as tf

from snnconvert.ir import shaping as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import map_linear


@implements(ir.ReshapeNode)
def reshape(node, inputs):
    return map_linear(lambda x: tf.reshape(x, [-1, *node.shape]), inputs[0])


@implements(ir.ZeroPad2DNode)
def zero_pad2d(node, inputs):
    paddings = [[0, 0], list(node.padding[0]), list(node.padding[1]), [0, 0]]
    return map_linear(lambda x: tf.pad(x, paddings), inputs[0])


@implements(ir.Crop2DNode)
def crop2d(node, inputs):
    (top, bottom), (left, right) = node.cropping

    def apply(x):
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]

    return map_linear(apply, inputs[0])


@implements(ir.UpSample2DNode)
def upsample2d(node, inputs):
    rows, cols = node.factors
    return map_linear(lambda x: tf.repeat(tf.repeat(x, rows, axis=1), cols, axis=2), inputs[0])


@implements(ir.PermuteNode)
def permute(node, inputs):
    return map_linear(lambda x: tf.transpose(x, [0, *(d + 1 for d in node.dims)]), inputs[0])
