"""Pooling: average pooling (linear) and spiking max pooling (stateful).

Average pooling is linear, so it maps every form of signal as it is: spikes in,
spikes out, each window's output is the mean of its cells at every step. With
``"same"`` padding the mean is over the cells inside the input only, as in Keras.

Spiking max pooling
-------------------
The maximum of spike trains is not the spike train of the maximum: taking the largest
value at each step would pass on a spike from whichever unit happens to fire in that
step, and the output would fire at up to the sum of the rates rather than the largest
one. Rueckauer et al. (2017, "Conversion of continuous-valued deep networks to
efficient event-driven networks for image classification", Frontiers in
Neuroscience 11:682) instead put a gate in each pooling window that lets through only
the spikes of the unit with the highest firing rate, estimated online from the spikes
seen so far. Here that estimate is the accumulated input, so the node computes:

* every unit ``i`` of the input keeps ``A_i(t)``, the sum of its input over all steps
  of the run up to and including step ``t`` (for spikes: its spike count times the
  spike's value; state carried from one window of steps to the next, so the result
  does not depend on how a run is split, see ``chunk_steps``);
* at step ``t`` each pooling window selects the unit with the largest ``A_i(t)``;
  ties go to the first unit of the window in row-major order (lowest index along the
  first spatial axis, then the next); padded cells (``"same"``) never count;
* the window's output at step ``t`` is the selected unit's input at step ``t``,
  ``x_i(t)``: its spikes pass unchanged, the other units' spikes are dropped.

As ``t`` grows, ``A_i(t) / t`` is unit ``i``'s mean input, so the gate settles on the
unit with the highest rate and the output fires at that rate: the max of the rates,
which is what the ANN's max pooling computes on the rates. Early on, and whenever
rates are close, the gate may switch between units and pass on spikes of a unit that
later turns out not to be the maximum: a transient error that fades as the estimates
settle.

Accumulated inputs that agree to within ``TIE_TOLERANCE`` (relative) count as tied.
The reason is float rounding: a population's running spike count restarts with each
window of steps, so the same number of spikes, times an inexact spike value (e.g.
``1 / 3 / dt``), can be summed to values a few float32 units apart depending on where
the windows fall; without the tolerance such a tie would be broken by rounding
instead of by position, and results would depend on ``chunk_steps``. The tolerance
(one part in a million, about eight float32 units) is far below the difference of one
spike in any count of up to a million spikes. The state ``A`` is carried in float64,
so long runs add no rounding of their own; within a window it is compared in float32,
rounded once.

A static input (no time axis: rate neurons or linear layers fed a constant image)
gives ``A_i(t) = t * x_i``, so the selected unit is the largest one at every step and
the output is ordinary max pooling, exactly; this is how rate mode reproduces Keras.
(Within a batch a static input is the same in every window, so the carried ``A`` is
always a multiple of ``x`` and this stays exact across windows.)

With the CPU kernels, a signal over time passes the gate in one compiled pass
(:func:`snnconvert.simulation.kernels.gated_max_pool`) with the float operations of the
TensorFlow ops below, which remain the reference and the fallback: same outputs, same
state, bit for bit.
"""

import functools
import itertools
import math

import numpy as np
import tensorflow as tf

from snnconvert.ir import pooling as ir
from snnconvert.ir.geometry import same_padding
from snnconvert.simulation import kernels
from snnconvert.simulation.ops.registry import implements, implements_stateful
from snnconvert.simulation.signals import Signal, map_linear

TIE_TOLERANCE = 1e-6


# ------------------------------------------------------------------ layout


def _to_channels_last(tensor, data_format):
    """``[n, channels, *spatial]`` -> ``[n, *spatial, channels]`` (TensorFlow's CPU
    pooling kernels take channels last only)."""
    if data_format == "channels_last":
        return tensor
    rank = len(tensor.shape)
    return tf.transpose(tensor, [0, *range(2, rank), 1])


def _from_channels_last(tensor, data_format):
    if data_format == "channels_last":
        return tensor
    rank = len(tensor.shape)
    return tf.transpose(tensor, [0, rank - 1, *range(1, rank - 1)])


def spatial_axes(rank, data_format):
    """Spatial axes of a ``[n, ...]`` tensor of ``rank`` dimensions."""
    return list(range(2, rank)) if data_format == "channels_first" else list(range(1, rank - 1))


# ------------------------------------------------------------------ average pooling


def average_pool(node, inputs):
    def apply(x):
        x = _to_channels_last(x, node.data_format)
        pooled = tf.nn.avg_pool(x, node.pool_size, node.strides, node.padding.upper())
        return _from_channels_last(pooled, node.data_format)

    return map_linear(apply, inputs[0])


def global_average_pool(node, inputs):
    def apply(x):
        axes = spatial_axes(len(x.shape), node.data_format)
        return tf.reduce_mean(x, axis=axes, keepdims=node.keepdims)

    return map_linear(apply, inputs[0])


for _type in (ir.AveragePool1DNode, ir.AveragePool2DNode, ir.AveragePool3DNode):
    implements(_type)(average_pool)
for _type in (ir.GlobalAveragePool1DNode, ir.GlobalAveragePool2DNode, ir.GlobalAveragePool3DNode):
    implements(_type)(global_average_pool)


# ------------------------------------------------------------------ spiking max pooling


def initial_accumulated_input(node, batch_size):
    """``A = 0`` for every input unit, ``[batch, *input_shape]`` in float64 (so that
    sums over long runs add no rounding of their own)."""
    return tf.zeros((batch_size, *node.input_shape), tf.float64)


def advance_max_pool(node, inputs, accumulated, n_steps, dt, use_kernels=True):
    """One window of ``n_steps`` steps; returns ``(output, accumulated input after it)``.

    A signal over time goes through the compiled CPU kernel when ``use_kernels`` and
    it serves (same operations, same results), else through TensorFlow ops."""
    signal = inputs[0]
    if not signal.temporal:
        after = accumulated + n_steps * tf.cast(signal.tensor, tf.float64)
        largest = _largest(node, spatial_flat(node, signal.tensor))
        return Signal(tf.reshape(largest, [-1, *node.shape]), temporal=False), after
    if use_kernels and kernels.available():
        return _advance_with_kernel(node, signal, accumulated)
    if signal.cumulative:
        # Rounded once to float32 (what the comparisons use); the state stays exact.
        running = tf.expand_dims(tf.cast(accumulated, tf.float32), 1) + signal.tensor
        after = accumulated + tf.cast(signal.tensor[:, -1], tf.float64)
    else:
        exact = tf.expand_dims(accumulated, 1) + tf.cumsum(tf.cast(signal.tensor, tf.float64), axis=1)
        running, after = tf.cast(exact, tf.float32), exact[:, -1]
    per_step = signal.per_step().tensor
    # Time folded into the batch: the gate works on [batch * steps, ...] at once.
    gated = _gate(node, spatial_flat(node, running), spatial_flat(node, per_step))
    outer = tf.shape(per_step)[:2]
    return Signal(tf.reshape(gated, tf.concat([outer, node.shape], axis=0)), temporal=True), after


def _advance_with_kernel(node, signal, accumulated):
    channels_first = node.data_format == "channels_first"
    gated, after = kernels.gated_max_pool(
        accumulated, signal.tensor, gate_cells(node), channels=node.input_shape[0 if channels_first else -1],
        channels_first=channels_first, cumulative=signal.cumulative, tie_tolerance=TIE_TOLERANCE,
    )
    outer = tf.shape(signal.tensor)[:2]
    return Signal(tf.reshape(gated, tf.concat([outer, node.shape], axis=0)), temporal=True), after


def gate_cells(node):
    """``[cells per window, windows]``: the positions of every window's cells, a global
    pool being one window of all positions."""
    if isinstance(node, ir.GlobalMaxPoolNode):
        shape = node.input_shape
        positions = math.prod(shape[:-1] if node.data_format == "channels_last" else shape[1:])
        return np.arange(positions, dtype=np.int32)[:, None]
    return window_cells(node)[0]


def spatial_flat(node, tensor, input_shape=None):
    """``[..., *input_shape]`` -> ``[n, positions, channels]`` (channels last) or
    ``[n, channels, positions]`` (channels first), positions in row-major order.
    ``input_shape`` defaults to the node's."""
    shape = node.input_shape if input_shape is None else input_shape
    if node.data_format == "channels_last":
        return tf.reshape(tensor, [-1, math.prod(shape[:-1]), shape[-1]])
    return tf.reshape(tensor, [-1, shape[0], math.prod(shape[1:])])


def positions_axis(node):
    """The axis of :func:`spatial_flat`'s result that holds the positions."""
    return 1 if node.data_format == "channels_last" else 2


def _largest(node, flat):
    """Ordinary max pooling of ``[n, positions, channels]`` (or channels first)."""
    axis = positions_axis(node)
    if isinstance(node, ir.GlobalMaxPoolNode):
        return tf.reduce_max(flat, axis=axis)
    cells = [tf.gather(flat, positions, axis=axis) for positions in window_cells(node)[0]]
    return functools.reduce(tf.maximum, cells)


def _gate(node, accumulated, x):
    """Each window's ``x`` from the unit with the largest accumulated input, the first
    in the window among those tied with it (within ``TIE_TOLERANCE``)."""
    axis = positions_axis(node)
    if isinstance(node, ir.GlobalMaxPoolNode):
        return _select_along(accumulated, x, axis)
    positions = window_cells(node)[0]
    cells_a = [tf.gather(accumulated, p, axis=axis) for p in positions]
    cells_x = [tf.gather(x, p, axis=axis) for p in positions]
    threshold = _tied_from(functools.reduce(tf.maximum, cells_a))
    # From the last cell of the window to the first, so that the first tied one is kept.
    selected = cells_x[-1]
    for cell_a, cell_x in zip(cells_a[-2::-1], cells_x[-2::-1]):
        selected = tf.where(cell_a >= threshold, cell_x, selected)
    return selected


def _select_along(accumulated, x, axis):
    """As :func:`_gate`, for one window spanning all of ``axis``."""
    size = accumulated.shape[axis]
    threshold = _tied_from(tf.reduce_max(accumulated, axis=axis, keepdims=True))
    # Earlier positions rank higher among the tied: rank size, size - 1, ..., 1.
    shape = [1] * len(accumulated.shape)
    shape[axis] = size
    rank = tf.reshape(tf.range(size, 0, -1, dtype=tf.float32), shape)
    ranked = tf.cast(accumulated >= threshold, tf.float32) * rank
    first = tf.cast(ranked == tf.reduce_max(ranked, axis=axis, keepdims=True), tf.float32)
    return tf.reduce_sum(x * first, axis=axis)  # one non-zero term: exact


def _tied_from(largest):
    return largest - TIE_TOLERANCE * tf.abs(largest)


def window_cells(node, input_shape=None):
    """The cells of every window of a windowed pooling node, as flat input positions
    (``input_shape`` defaults to the node's).

    Returns ``(positions, inside)``, both ``[cells per window, windows]``: entry ``k``
    of ``positions`` lists the ``k``-th cell (row-major within the window) of every
    window, and ``inside`` says whether that cell lies in the input. A cell in the
    padding of a ``"same"`` window has the position of its nearest cell inside the
    input (each coordinate clamped), which lies in the same window: a repeated cell
    changes neither the window's maximum nor which unit is first among the largest.
    Positions count the spatial axes in row-major order (channels apart).
    """
    shape = node.input_shape if input_shape is None else input_shape
    spatial = shape[:-1] if node.data_format == "channels_last" else shape[1:]
    starts = []
    for size, pool, stride in zip(spatial, node.pool_size, node.strides):
        if node.padding == "valid":
            count, before = (size - pool) // stride + 1, 0
        else:  # TensorFlow's "same": the odd cell of padding goes at the end
            count = -(-size // stride)
            before = same_padding(size, count, stride, pool)[0]
        starts.append(np.arange(count) * stride - before)
    positions, inside = [], []
    for offset in itertools.product(*(range(pool) for pool in node.pool_size)):
        coordinates = np.meshgrid(*(s + o for s, o in zip(starts, offset)), indexing="ij")
        valid = np.logical_and.reduce([(c >= 0) & (c < size) for c, size in zip(coordinates, spatial)])
        clamped = [np.clip(c, 0, size - 1) for c, size in zip(coordinates, spatial)]
        positions.append(np.ravel_multi_index(clamped, spatial).reshape(-1))
        inside.append(valid.reshape(-1))
    return np.stack(positions).astype(np.int32), np.stack(inside)


for _type in (ir.MaxPool1DNode, ir.MaxPool2DNode, ir.MaxPool3DNode,
              ir.GlobalMaxPool1DNode, ir.GlobalMaxPool2DNode, ir.GlobalMaxPool3DNode):
    implements_stateful(_type, initial_accumulated_input)(advance_max_pool)
