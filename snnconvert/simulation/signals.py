"""Values flowing through the simulator, and the three forms they take.

* *static* ``[batch, ...]``: the same at every step, as an image input and everything
  linear computed from it, so the first layer runs once per batch, not once per step;
* *per step* ``[batch, steps, ...]``: the value at each step;
* *cumulative* ``[batch, steps, ...]``: the running sum over the window's steps.

Spiking populations emit the cumulative form, because their spike counts up to each
step come out of one ``floor`` and differencing them would cost a pass over the
largest tensors of the network. Linear layers commute with the running sum (a bias
``b`` becomes ``t * b``), so the difference is taken only where a per-step value is
really needed: at the next population, a synapse, or an output, which are usually far
smaller.
"""

import dataclasses

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Signal:
    tensor: tf.Tensor
    temporal: bool
    cumulative: bool = False

    def per_step(self):
        """This signal without the running sum (static signals stay static)."""
        if not self.cumulative:
            return self
        return Signal(differences(self.tensor), temporal=True)

    def as_cumulative(self, n_steps):
        """This signal as a running sum over the window's steps."""
        if self.cumulative:
            return self
        if self.temporal:
            return Signal(tf.cumsum(self.tensor, axis=1), temporal=True, cumulative=True)
        return Signal(tf.expand_dims(self.tensor, 1) * step_counts(n_steps, len(self.tensor.shape)),
                      temporal=True, cumulative=True)

    def expanded(self, n_steps):
        """This value per step as ``[batch, steps, ...]``, repeating a static value."""
        signal = self.per_step()
        if signal.temporal:
            return signal.tensor
        repeats = [1, n_steps] + [1] * (len(signal.tensor.shape) - 1)
        return tf.tile(tf.expand_dims(signal.tensor, 1), repeats)


def differences(running):
    """Per-step values ``[batch, steps, ...]`` of running sums over the steps (axis 1)."""
    previous = tf.concat([tf.zeros_like(running[:, :1]), running[:, :-1]], axis=1)
    return running - previous


def step_counts(n_steps, rank):
    """``[1, n_steps, 1, ...]`` holding 1..n_steps, to broadcast against ``[batch, steps, ...]``
    (``rank`` is the rank of a per-sample tensor with its batch axis)."""
    steps = tf.range(1, n_steps + 1, dtype=tf.float32)
    return tf.reshape(steps, [1, n_steps] + [1] * (rank - 1))


def map_linear(function, signal):
    """Apply a bias-free per-sample linear ``function`` to every step at once.

    A temporal signal is folded to ``[batch * steps, ...]`` so that one call (one
    matrix product or convolution) covers the whole window; the form is kept.
    """
    if not signal.temporal:
        return Signal(function(signal.tensor), temporal=False)
    tensor = signal.tensor
    shape = tf.shape(tensor)
    folded = tf.reshape(tensor, tf.concat([[-1], shape[2:]], axis=0))
    result = function(folded)
    result_shape = tf.concat([shape[:2], tf.shape(result)[1:]], axis=0)
    return Signal(tf.reshape(result, result_shape), temporal=True, cumulative=signal.cumulative)


def add_constant(signal, constant):
    """``signal + constant`` per step: the running sum gains ``t * constant``."""
    if constant is None:
        return signal
    if not signal.cumulative:
        return Signal(signal.tensor + constant, signal.temporal)
    n_steps = signal.tensor.shape[1]
    steps = step_counts(n_steps, len(signal.tensor.shape) - 1)
    return Signal(signal.tensor + steps * constant, temporal=True, cumulative=True)


def common_form(signals):
    """Tensors of ``signals`` in one form, for element-wise merging, and that form."""
    if any(s.cumulative for s in signals):
        n_steps = next(s.tensor.shape[1] for s in signals if s.cumulative)
        return [s.as_cumulative(n_steps).tensor for s in signals], (True, True)
    if any(s.temporal for s in signals):
        return [s.tensor if s.temporal else tf.expand_dims(s.tensor, 1) for s in signals], (True, False)
    return [s.tensor for s in signals], (False, False)
