"""The simulator's implementation of :class:`~snnconvert.ir.rewrites.RunningMeanNode`,
registered with the other stateful ops.

Its state is the input summed over the steps of earlier windows and the number of
those steps, so a run split into windows gives the same means as one window.
"""

import tensorflow as tf

from snnconvert.ir.rewrites import RunningMeanNode
from snnconvert.simulation.ops.registry import implements_stateful
from snnconvert.simulation.signals import Signal, step_counts


def initial_sum(node, batch_size):
    return tf.zeros((batch_size, *node.shape), tf.float32), tf.constant(0.0)


def advance_running_mean(node, inputs, state, n_steps, dt, use_kernels=True):
    """Means since the first step, at each step of the window ``[batch, steps, ...]``."""
    total, elapsed = state
    if not inputs[0].temporal:  # a constant's mean is itself (rate networks fed an image)
        value = inputs[0].tensor
        return inputs[0], (total + value * n_steps, elapsed + n_steps)
    running = inputs[0].as_cumulative(n_steps).tensor + tf.expand_dims(total, 1)
    steps = elapsed + step_counts(n_steps, len(total.shape))
    return Signal(running / steps, temporal=True), (running[:, -1], elapsed + n_steps)


implements_stateful(RunningMeanNode, initial_sum)(advance_running_mean)
