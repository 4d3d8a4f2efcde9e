"""Event-driven projection of sparse spikes into the next Dense or Conv2D layer.

A population fed a constant current (the first layer, fed an image) fires at fixed
rates, often a few spikes per neuron in a whole run. Instead of writing its dense
``[batch, steps, ...]`` spike tensor and convolving it, the simulator can list its
spikes and add each one's weights to the layer it drives: the work is proportional
to the number of spikes times the fan-out, which is what an SNN is for. The spike
times come from the same closed form as the dense path, ``floor(v0 + t r)``, so both
paths produce the same spikes; the dense path is used when spikes are too many for
scattering to pay off.
"""

import tensorflow as tf

from snnconvert.ir import Conv2DNode, DenseNode
from snnconvert.ir.geometry import same_padding
from snnconvert.neurons import SpikingState
from snnconvert.simulation import kernels

# Above this share of (neuron, step) slots holding a spike, the dense path is faster.
DENSE_ABOVE = 0.01
# ... and that many times more with the CPU kernels, which scatter spikes without listing
# them (measured on the MNIST CNN: faster at 5 % of slots, slower at 14 %).
KERNEL_EVENT_ADVANTAGE = 8

PROJECTABLE = (DenseNode, Conv2DNode)


def can_project_into(consumer, in_shape):
    """Whether spikes of a population shaped ``in_shape`` scatter into ``consumer``: a
    Dense reading a vector, or an ungrouped Conv2D (exact types: a subclass may apply
    its kernel differently)."""
    if type(consumer) is DenseNode:
        return len(in_shape) == 1
    return type(consumer) is Conv2DNode and consumer.groups == 1


def emitted_before_and_after(increment, state, n_steps):
    """Spikes emitted since the start of the run, before and after this window.

    The same expression as the dense closed form, so both paths agree exactly.
    """
    before = tf.floor(state.initial + state.elapsed * increment)
    after = tf.floor(state.initial + (state.elapsed + n_steps) * increment)
    return before, after


def constant_spike_events(increment, state, n_steps, before, after):
    """The spikes of a population with constant input, as a list of events.

    Args:
        increment: ``[batch, n]`` voltage increase per step, ``max(J, 0) * dt``.
        state: the :class:`~snnconvert.neurons.SpikingState` (flattened to ``[batch, n]``).
        before, after: from :func:`emitted_before_and_after`.

    Returns:
        ``(sample, step, neuron)`` int32 index vectors, one entry per spike (a neuron
        firing twice in a step appears twice); the spikes per neuron ``[batch, n]``;
        and the new state.
    """
    elapsed = state.elapsed
    counts = after - before
    firing = tf.where(counts > 0)
    per_neuron = tf.cast(tf.gather_nd(counts, firing), tf.int32)
    owner = tf.repeat(tf.range(tf.shape(firing)[0]), per_neuron)
    first = tf.cumsum(per_neuron, exclusive=True)
    rank = tf.range(tf.shape(owner)[0]) - tf.gather(first, owner)
    sample, neuron = tf.unstack(tf.cast(tf.gather(firing, owner), tf.int32), axis=1)
    # Spike number k (counted from the start of the run) falls in the first step t
    # with floor(v0 + t r) >= k: estimate t, then settle it with the very formula of
    # the dense path, so float rounding cannot make the two disagree.
    k = tf.gather(tf.gather_nd(before, firing), owner) + 1.0 + tf.cast(rank, tf.float32)
    v0 = tf.gather(tf.gather_nd(state.initial, firing), owner)
    rate = tf.gather(tf.gather_nd(increment, firing), owner)
    step = tf.math.ceil((k - v0) / rate)
    step = tf.where(tf.floor(v0 + step * rate) < k, step + 1.0, step)
    step = tf.where(tf.floor(v0 + (step - 1.0) * rate) >= k, step - 1.0, step)
    local = tf.clip_by_value(tf.cast(step - elapsed, tf.int32) - 1, 0, n_steps - 1)
    return (sample, local, neuron), counts, _state_after(increment, state, n_steps, after)


def _state_after(increment, state, n_steps, after):
    """The population's state at the end of the window (the dense closed form's)."""
    voltage = state.initial + (state.elapsed + n_steps) * increment - after
    return SpikingState(voltage, state.initial, state.elapsed + n_steps)


def project_events(node, events, in_shape, batch_size, n_steps, spike_value):
    """Per-step output ``[batch, steps, ...]`` of ``node`` driven by spike ``events``.

    Each spike adds ``spike_value`` times its row of weights; the bias is added at
    every step.
    """
    sample, step, neuron = events
    if isinstance(node, DenseNode):
        rows = tf.gather(tf.constant(node.kernel), neuron)
        segment = tf.cast(sample, tf.int64) * n_steps + tf.cast(step, tf.int64)  # may pass 2**31
        n_segments = batch_size * n_steps
    else:
        rows, segment, n_segments = _conv_contributions(node, sample, step, neuron, in_shape,
                                                        batch_size, n_steps)
    summed = tf.math.unsorted_segment_sum(rows * spike_value, segment, n_segments)
    output = tf.reshape(summed, [batch_size, n_steps, *node.shape])
    return output if node.bias is None else output + tf.constant(node.bias)


def fire_into(node, increment, state, n_steps, before, after, in_shape, spike_value):
    """With the CPU kernels: :func:`constant_spike_events` and :func:`project_events` in
    one op that never lists the spikes (same spikes, same sums). Arguments as theirs;
    returns ``(output, counts, state)``."""
    kernel, geometry = _kernel_geometry(node, in_shape)
    output = kernels.fire_into(increment, state.initial, before, after, state.elapsed, kernel, node.bias,
                               spike_value, n_steps=n_steps, **geometry)
    output = tf.reshape(output, [tf.shape(increment)[0], n_steps, *node.shape])
    return output, after - before, _state_after(increment, state, n_steps, after)


def _kernel_geometry(node, in_shape):
    """``node``'s kernel as a 2-D convolution kernel, and where its spikes land."""
    if isinstance(node, DenseNode):  # a 1x1 convolution of a 1x1 image with in_shape channels
        kernel = node.kernel.reshape(1, 1, *node.kernel.shape)
        return kernel, dict(in_shape=(1, 1, in_shape[0]), out_shape=(1, 1))
    return node.kernel, dict(in_shape=in_shape, out_shape=node.shape[:2], strides=node.strides,
                             dilation=node.dilation_rate, leading_padding=_leading_padding(node, in_shape))


def _conv_contributions(node, sample, step, neuron, in_shape, batch_size, n_steps):
    """Weight rows and output cells reached by each spike through a 2-D convolution."""
    _, cols_in, channels = in_shape
    k_rows, k_cols, _, filters = node.kernel.shape
    out_rows, out_cols, _ = node.shape
    (stride_r, stride_c), (dil_r, dil_c) = node.strides, node.dilation_rate
    pad_r, pad_c = _leading_padding(node, in_shape)
    row, col, channel = neuron // (cols_in * channels), (neuron // channels) % cols_in, neuron % channels

    offset_r, offset_c = tf.meshgrid(tf.range(k_rows), tf.range(k_cols), indexing="ij")
    offset_r, offset_c = tf.reshape(offset_r, [1, -1]), tf.reshape(offset_c, [1, -1])
    reach_r = row[:, None] + pad_r - offset_r * dil_r
    reach_c = col[:, None] + pad_c - offset_c * dil_c
    valid = (
        (reach_r % stride_r == 0) & (reach_c % stride_c == 0)
        & (reach_r >= 0) & (reach_r < out_rows * stride_r)
        & (reach_c >= 0) & (reach_c < out_cols * stride_c)
    )
    spike, offset = tf.unstack(tf.cast(tf.where(valid), tf.int32), axis=1)
    out_r = tf.gather_nd(reach_r, tf.stack([spike, offset], 1)) // stride_r
    out_c = tf.gather_nd(reach_c, tf.stack([spike, offset], 1)) // stride_c
    kernel_rows = tf.reshape(tf.constant(node.kernel), [k_rows * k_cols * channels, filters])
    rows = tf.gather(kernel_rows, offset * channels + tf.gather(channel, spike))
    # int64: batch * steps * output cells may pass 2**31.
    frame = tf.cast(tf.gather(sample, spike), tf.int64) * n_steps + tf.cast(tf.gather(step, spike), tf.int64)
    segment = (frame * out_rows + tf.cast(out_r, tf.int64)) * out_cols + tf.cast(out_c, tf.int64)
    return rows, segment, batch_size * n_steps * out_rows * out_cols


def _leading_padding(node, in_shape):
    """The zeros before the first row and the first column of a 2-D convolution's input."""
    if node.padding == "valid":
        return 0, 0
    k_rows, k_cols = node.kernel.shape[:2]
    return tuple(
        same_padding(size_in, size_out, stride, (size - 1) * dilation + 1)[0]
        for size_in, size_out, stride, size, dilation in zip(
            in_shape[:2], node.shape[:2], node.strides, (k_rows, k_cols), node.dilation_rate
        )
    )
