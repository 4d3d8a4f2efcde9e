"""A rectified-linear population's response to its input current, as Keras defines it."""

import tensorflow as tf


def rectify(current, rectifier):
    """Keras's ``relu(x, negative_slope, max_value, threshold)`` for a
    :class:`~snnconvert.ir.Rectifier`."""
    if rectifier.is_plain:
        return tf.nn.relu(current)
    below = rectifier.negative_slope * (current - rectifier.threshold)
    value = tf.where(current >= rectifier.threshold, current, below)
    if rectifier.max_value is not None:
        value = tf.minimum(value, rectifier.max_value)
    return value


def drive(current, gain, rectifier):
    """Voltage rise per second of a rectified-linear neuron: ``gain * rectifier(J)``."""
    if rectifier.is_plain:
        # relu(g J) == g relu(J) for g > 0; scaling first keeps earlier float results bit for bit.
        return tf.nn.relu(current * gain)
    return gain * rectify(current, rectifier)
