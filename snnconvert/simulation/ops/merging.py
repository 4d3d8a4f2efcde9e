"""Sums and concatenation of several inputs."""

import functools

import tensorflow as tf

from snnconvert.ir import merging as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import Signal, common_form


@implements(ir.AddNode)
def add(node, inputs):
    tensors, (temporal, cumulative) = common_form(inputs)
    if node.coefficients:
        tensors = [tensor * coefficient for tensor, coefficient in zip(tensors, node.coefficients)]
    return Signal(functools.reduce(tf.add, tensors), temporal, cumulative)


@implements(ir.ConcatenateNode)
def concatenate(node, inputs):
    tensors, (temporal, cumulative) = common_form(inputs)
    if temporal:
        n_steps = next(t.shape[1] for t, s in zip(tensors, inputs) if s.temporal)
        tensors = [t if s.temporal or cumulative else tf.tile(t, [1, n_steps] + [1] * (len(t.shape) - 2))
                   for t, s in zip(tensors, inputs)]
    # Node axes count from the first non-batch axis; a time axis shifts them by one.
    axis = node.axis + 1 + int(temporal)
    return Signal(tf.concat(tensors, axis=axis), temporal, cumulative)
