"""Element-wise operations."""

import tensorflow as tf

from snnconvert.ir import elementwise as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import Signal, add_constant


def _constant(array):
    return None if array is None else tf.constant(array)


@implements(ir.AffineNode)
def affine(node, inputs):
    signal = inputs[0]
    scaled = Signal(signal.tensor * tf.constant(node.scale), signal.temporal, signal.cumulative)
    return add_constant(scaled, tf.constant(node.offset))
