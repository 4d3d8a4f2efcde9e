"""Values flowing through the simulator, with or without a time axis.

A ``Signal`` is *static* (``[batch, ...]``, the same at every step, as an image input
and everything linear computed from it) or *temporal* (``[batch, steps, ...]``).
Keeping static values static is what lets the first layer run once per batch instead
of once per step.
"""

import dataclasses

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Signal:
    tensor: tf.Tensor
    temporal: bool

    def expanded(self, n_steps):
        """This value as ``[batch, steps, ...]``, repeating a static value over time."""
        if self.temporal:
            return self.tensor
        repeats = [1, n_steps] + [1] * (len(self.tensor.shape) - 1)
        return tf.tile(tf.expand_dims(self.tensor, 1), repeats)


def map_linear(function, signal):
    """Apply a per-sample ``function`` to every step of ``signal`` at once.

    A temporal signal is folded to ``[batch * steps, ...]`` so that one call (one
    matrix product or convolution) covers the whole window.
    """
    if not signal.temporal:
        return Signal(function(signal.tensor), temporal=False)
    tensor = signal.tensor
    shape = tf.shape(tensor)
    folded = tf.reshape(tensor, tf.concat([[-1], shape[2:]], axis=0))
    result = function(folded)
    result_shape = tf.concat([shape[:2], tf.shape(result)[1:]], axis=0)
    result = tf.reshape(result, result_shape)
    return Signal(result, temporal=True)


def broadcast_together(signals):
    """Tensors of ``signals`` made compatible for element-wise ops, and their temporality."""
    temporal = any(signal.temporal for signal in signals)
    if not temporal:
        return [signal.tensor for signal in signals], False
    tensors = [s.tensor if s.temporal else tf.expand_dims(s.tensor, 1) for s in signals]
    return tensors, True
