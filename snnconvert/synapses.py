"""First-order low-pass synapse, discretised exactly for a step ``dt``.

The continuous filter ``tau * dy/dt = x - y`` with the input held constant over a step
gives, with ``a = exp(-dt / tau)``::

    y[t] = a * y[t-1] + (1 - a) * x[t]

The step's input enters the same step's output (no extra one-step delay, as in
Nengo's ``Lowpass``). The recurrence is linear, so a window of ``T`` steps is computed
at once as ``y = L @ x + a^t * y[0]`` with the lower-triangular Toeplitz matrix
``L[t, k] = (1 - a) * a^(t - k)``: one matrix product instead of a Python loop.
"""

import math
from typing import Any

import numpy as np
import tensorflow as tf

from snnconvert._validation import check_positive_number, short_repr


class Lowpass:
    """Low-pass filter with time constant ``tau`` seconds."""

    def __init__(self, tau: float) -> None:
        self.tau = check_positive_number("synapse", tau)

    def __repr__(self) -> str:
        return f"Lowpass(tau={self.tau:g})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lowpass) and other.tau == self.tau

    def __hash__(self) -> int:
        return hash(("Lowpass", self.tau))

    def decay(self, dt: float) -> float:
        return math.exp(-dt / self.tau)

    def filter(self, signal: tf.Tensor, state: tf.Tensor, dt: float) -> tuple[tf.Tensor, tf.Tensor]:
        """Filter ``signal`` ``[batch, steps, ...]`` starting from ``state`` ``[batch, ...]``.

        Returns ``(filtered, state)`` with ``filtered`` shaped like ``signal``.
        """
        n_steps = signal.shape[1]
        transfer, carry = self._window_matrices(n_steps, dt, signal.dtype)
        batch_shape = tf.shape(signal)
        flat = tf.reshape(signal, [batch_shape[0], n_steps, -1])
        filtered = tf.matmul(transfer, flat)
        filtered += carry[:, None] * tf.reshape(state, [batch_shape[0], 1, -1])
        filtered = tf.reshape(filtered, batch_shape)
        return filtered, filtered[:, -1]

    def filter_constant(self, value: tf.Tensor, n_steps: int, state: tf.Tensor,
                        dt: float) -> tuple[tf.Tensor, tf.Tensor]:
        """Filter an input held at ``value`` ``[batch, ...]`` for ``n_steps`` steps.

        Closed form: ``y[t] = value + (y[0] - value) * a^t``.
        """
        rank = len(value.shape)
        powers = self.decay(dt) ** np.arange(1, n_steps + 1)
        powers = tf.constant(powers.reshape([1, n_steps] + [1] * (rank - 1)), dtype=value.dtype)
        value = tf.expand_dims(value, 1)
        filtered = value + (tf.expand_dims(state, 1) - value) * powers
        return filtered, filtered[:, -1]

    def _window_matrices(self, n_steps: int, dt: float, dtype: Any) -> tuple[tf.Tensor, tf.Tensor]:
        a = self.decay(dt)
        lags = np.arange(n_steps)[:, None] - np.arange(n_steps)[None, :]
        transfer = np.where(lags >= 0, (1 - a) * a ** np.maximum(lags, 0), 0.0)
        carry = a ** np.arange(1, n_steps + 1)
        return tf.constant(transfer, dtype=dtype), tf.constant(carry, dtype=dtype)


def as_synapse(value: Lowpass | float | None) -> Lowpass | None:
    """``None`` or ``0`` means no filter; a positive number is a low-pass time constant."""
    if value is None or isinstance(value, Lowpass):
        return value
    if not isinstance(value, bool) and isinstance(value, (int, float)):
        if value == 0:
            return None
        if not value > 0:  # also catches NaN
            raise ValueError(
                "`synapse` must be a time constant in seconds > 0, or 0 / None for no "
                f"synapse. Received: synapse={short_repr(value)}"
            )
    return Lowpass(value)
