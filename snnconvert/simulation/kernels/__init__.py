"""Compiled CPU kernels for the four steps that have no fast TensorFlow form.

- :func:`integrate_spiking_relu`: the step-by-step update of a spiking ReLU population
  fed a current that varies over time (every layer after the first),
  ``v += max(g J, 0) dt; n = floor(v); v -= n`` (or, for an integrate-and-fire neuron
  on the signed current, ``v += g J dt; n = max(floor(v), 0); v -= n``), optionally
  behind a low-pass synapse and a bias in the same pass. As TensorFlow ops that is a handful of passes over
  memory per step, which Keras never pays: it fuses its ReLU into the convolution.
- :func:`lowpass`: the low-pass synapse's recurrence, one pass over the signal.
- :func:`fire_into`: a population fed a constant current (the first layer) firing
  sparsely straight into the Dense or Conv2D it drives, each spike timed by the closed
  form and added, never listed.
- :func:`gated_max_pool`: the gate of a spiking max-pool (see
  :mod:`snnconvert.simulation.ops.pooling`), one pass over its input per step where the
  TensorFlow ops gather every cell of every window, and compare and select them, apart.

They are one TensorFlow op library (``ops.cc`` around the arithmetic of
``arithmetic.cc``), built with the machine's C++ compiler on first use (see
:mod:`.build`), parallel over samples and blocks of neurons. They perform the float32
operations of the TensorFlow path (e.g.
:meth:`~snnconvert.neurons.SpikingRectifiedLinear.cumulative_counts`) in the same
order, so both give bit-identical spikes, voltages and outputs; the tests check this.
Only :func:`lowpass` rounds differently from the TensorFlow path's matrix product.
"""

import tensorflow as tf

from snnconvert.simulation.kernels import build


def available():
    """Whether the kernels can serve here: no GPU is visible (tensors live on the CPU;
    the ops have CPU kernels only), and they are built (on the first call)."""
    return not tf.config.list_logical_devices("GPU") and build.load() is not None


def integrate_spiking_relu(current, voltage, *, gain, dt, spike_value, rectify, cumulative, signed,
                           signed_current=False, synapse_state=None, decay=None, offset=None):
    """The spiking ReLU update over a window (call only when :func:`available`).

    Args:
        current: ``[batch, steps, ...]`` float32 current, per step or (``cumulative``)
            summed up to each step.
        voltage: ``[batch, ...]`` voltage before the first step.
        gain, dt, spike_value: float32 scalar tensors; ``spike_value = amplitude / dt``.
        rectify: apply ``max(gain * J, 0)``; otherwise ``current`` already holds the
            drive (a rectifier with Keras's options, computed by TensorFlow).
        signed: count negative spikes by their magnitude.
        signed_current: integrate-and-fire on the signed current instead:
            ``v += gain * J * dt`` with ``J`` of either sign (``v`` may fall below zero),
            ``n = max(floor(v), 0)``, ``v -= n``. Needs ``rectify=False``.
        synapse_state, decay: to pass the current through a low-pass synapse first (as
            :func:`lowpass` does, in the same pass): its output before the first step
            ``[batch, ...]`` and ``exp(-dt / tau)`` as a float32 scalar tensor.
        offset: with a synapse, a constant added to its output (a bias), shaped like
            one sample of ``voltage``; ``None`` for none.

    Returns:
        ``(output, counts, voltage, synapse_state)``: ``spike_value`` times the spikes
        emitted up to each step, shaped like ``current``; the window's spikes per
        neuron, the voltage after the last step and the synapse's last output (``None``
        without a synapse), all ``[batch, ...]``.
    """
    if rectify and signed_current:
        raise ValueError("integrate_spiking_relu: rectify=True and signed_current=True exclude each other (a "
                         "signed current is integrated as it is, never rectified); pass rectify=False.")
    shape, state_shape = tf.shape(current), tf.shape(voltage)
    filtering = synapse_state is not None
    output, counts, new_voltage, new_synapse_state = build.load().snnconvert_integrate_spiking_relu(
        tf.reshape(current, [shape[0], shape[1], -1]),
        tf.reshape(voltage, [shape[0], -1]),
        gain, dt, spike_value,
        tf.reshape(synapse_state, [shape[0], -1]) if filtering else tf.zeros([0]),
        decay if filtering else tf.constant(0.0),
        tf.zeros([0]) if offset is None else tf.reshape(offset, [-1]),
        rectify=rectify, cumulative=cumulative, signed_spikes=signed, filter=filtering,
        signed_current=signed_current,
    )
    return (
        tf.reshape(output, shape),
        tf.reshape(counts, state_shape),
        tf.reshape(new_voltage, state_shape),
        tf.reshape(new_synapse_state, state_shape) if filtering else None,
    )


def lowpass(signal, state, decay):
    """The low-pass recurrence ``y[t] = decay * y[t-1] + (1 - decay) * x[t]`` over a
    window (call only when :func:`available`): ``signal`` ``[batch, steps, ...]``,
    ``state`` ``[batch, ...]`` (the output before the first step), ``decay`` a float32
    scalar tensor. Returns ``(filtered, state)``.

    The recurrence rounds differently from the TensorFlow path's matrix product, by
    about one float32 ulp of the output.
    """
    shape = tf.shape(signal)
    filtered, new_state = build.load().snnconvert_lowpass(
        tf.reshape(signal, [shape[0], shape[1], -1]), tf.reshape(state, [shape[0], -1]), decay
    )
    return tf.reshape(filtered, shape), tf.reshape(new_state, tf.shape(state))


def fire_into(increment, initial, before, after, elapsed, kernel, bias, spike_value, *, n_steps, in_shape, out_shape,
              strides=(1, 1), dilation=(1, 1), leading_padding=(0, 0)):
    """A population fed a constant current, its spikes scattered straight into a 2-D
    convolution (call only when :func:`available`): what
    :func:`snnconvert.simulation.events.constant_spike_events` followed by
    :func:`snnconvert.simulation.events.project_events` compute with TensorFlow ops, with
    the same sums in the same order, without listing the spikes.

    Args:
        increment, initial, before, after: ``[batch, neurons]``, see
            :func:`~snnconvert.simulation.events.emitted_before_and_after`; ``neurons``
            index the input ``in_shape = (rows, cols, channels)``.
        elapsed: the steps done before this window (a float32 scalar tensor).
        kernel: ``[k_rows, k_cols, channels, filters]``; ``bias`` ``[filters]`` or
            ``None``, added at every step; ``spike_value`` the weight of one spike.

    Returns:
        ``[batch, n_steps, *out_shape, filters]``.
    """
    return build.load().snnconvert_fire_into(
        increment, initial, before, after, elapsed, tf.constant(kernel, tf.float32),
        tf.constant([] if bias is None else bias, tf.float32), tf.constant(spike_value, tf.float32),
        steps=n_steps, in_shape=list(in_shape), out_shape=list(out_shape), strides=list(strides),
        dilation=list(dilation), leading_padding=list(leading_padding),
    )


def gated_max_pool(accumulated, signal, cells, *, channels, channels_first, cumulative, tie_tolerance):
    """The spiking max-pool's gate over a window (call only when :func:`available`):
    what :func:`snnconvert.simulation.ops.pooling.advance_max_pool` computes for a signal
    over time with TensorFlow ops, with the same float operations.

    Args:
        accumulated: ``[batch, *input_shape]`` float64, each input's sum before the window.
        signal: ``[batch, steps, *input_shape]``, per step or (``cumulative``) running sums.
        cells: ``[cells per window, windows]`` int32, the flat positions (spatial axes in
            row-major order) of every window's cells.
        channels: the channels of ``input_shape``, last or (``channels_first``) first.
        tie_tolerance: relative difference below which accumulated inputs count as tied.

    Returns:
        ``(gated, accumulated)``: ``[batch, steps, windows * channels]`` (windows before
        channels, or channels first), and the sums after the window.
    """
    batch, steps = tf.shape(signal)[0], tf.shape(signal)[1]
    gated, after = build.load().snnconvert_gated_max_pool(
        tf.reshape(accumulated, [batch, -1]), tf.reshape(signal, [batch, steps, -1]), tf.constant(cells, tf.int32),
        channels=channels, channels_first=channels_first, cumulative=cumulative, tie_tolerance=tie_tolerance,
    )
    return gated, tf.reshape(after, tf.shape(accumulated))
