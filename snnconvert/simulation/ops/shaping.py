"""Reshaping, padding, cropping, upsampling and permuting."""

import tensorflow as tf

from snnconvert.ir import shaping as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import map_linear


@implements(ir.ReshapeNode)
def reshape(node, inputs):
    return map_linear(lambda x: tf.reshape(x, [-1, *node.shape]), inputs[0])


@implements(ir.ZeroPadNode)
def zero_pad(node, inputs):
    paddings = [[0, 0], *(list(pair) for pair in node.padding)]
    return map_linear(lambda x: tf.pad(x, paddings), inputs[0])


@implements(ir.CropNode)
def crop(node, inputs):
    def apply(x):
        kept = [slice(before, size - after) for (before, after), size in zip(node.cropping, x.shape[1:])]
        return x[(slice(None), *kept)]

    return map_linear(apply, inputs[0])


@implements(ir.UpSampleNode)
def upsample(node, inputs):
    def apply(x):
        for axis, factor in enumerate(node.factors, start=1):
            if factor != 1:
                x = tf.repeat(x, factor, axis=axis)
        return x

    return map_linear(apply, inputs[0])


@implements(ir.PermuteNode)
def permute(node, inputs):
    return map_linear(lambda x: tf.transpose(x, [0, *(d + 1 for d in node.dims)]), inputs[0])
