"""Neuron populations and synapses, advanced over a window of steps at once.

A population fed a constant current (the first layer, fed an image) computes its
spikes from a closed-form element-wise expression over the largest tensor of the
network; XLA fuses it into one pass over memory. The step-by-step update of a
time-varying current, and a low-pass synapse, run on the CPU as snnconvert's compiled
kernels (:mod:`snnconvert.simulation.kernels`), one pass over memory each; elsewhere
as plain TensorFlow ops (which measured faster than XLA's code for the unrolled loop).
Linear layers keep TensorFlow's own (oneDNN) kernels.
"""

import functools
import warnings

import tensorflow as tf

from snnconvert.neurons import LIFRate, SpikingRectifiedLinear, SpikingState, drive
from snnconvert.neurons.base import differences
from snnconvert.simulation import kernels
from snnconvert.simulation.signals import Signal
from snnconvert.synapses import Lowpass


def advance_neurons(node, current, state, n_steps, dt, jit_compile=True, use_kernels=True, per_step=False):
    """Run one population for ``n_steps`` steps.

    Args:
        node: the :class:`~snnconvert.ir.NeuronNode`.
        current: input :class:`Signal` (before the gain), in any form.
        state: the population's state (``neuron_type.start(voltage)``), or ``None``
            for rate neurons.
        per_step: a spiking population fed a constant current returns its output per
            step rather than as running sums (computed in the same fused pass).

    Returns:
        ``(output, activity, state)``: the output signal (cumulative for spiking
        neurons, unless ``per_step``); ``activity``, the spikes each neuron emitted in the window
        ``[batch, ...]`` (exact integers, negative spikes counted by magnitude; for
        rate neurons the expected count ``|rate| * dt`` summed over steps); the new state.
    """
    if isinstance(node.neuron_type, LIFRate):
        return _advance_lif(node, current, state, n_steps, dt)
    if node.neuron_type.spiking and current.temporal and use_kernels and _kernel_serves(node):
        return _advance_with_kernel(node, current, state, n_steps, dt)
    if node.neuron_type.spiking:
        update = _compiled(_spiking_update, jit_compile and not current.temporal)
        # Scalars go in as tensors: one compiled function then serves every scale.
        per_step = per_step and not current.temporal
        output, activity, state = update(
            node.neuron_type, node.rectifier, current.tensor, state, tf.constant(node.gain, tf.float32),
            tf.constant(node.amplitude / dt, tf.float32), tf.constant(dt, tf.float32),
            n_steps, current.temporal, current.cumulative, per_step,
        )
        return Signal(output, temporal=True, cumulative=not per_step), activity, state
    response = drive_function(node.rectifier, node.gain)
    return _advance_rates(node, current, lambda tensor: node.neuron_type.rates(tensor, response), n_steps, dt)


def _advance_rates(node, current, rates_of, n_steps, dt):
    """A rate population: output ``amplitude * rate`` at every step, and as activity the
    expected spike counts, ``|rate| * dt`` summed over the window."""
    current = current.per_step()
    rates = rates_of(current.tensor)
    magnitude = tf.abs(rates) if node.rectifier.signed else rates
    per_step = tf.reduce_sum(magnitude, axis=1) if current.temporal else magnitude * n_steps
    return Signal(rates * node.amplitude, temporal=current.temporal), per_step * dt, None


def _spiking_update(neuron, rectifier, current, state, gain, spike_value, dt, n_steps, temporal, cumulative,
                    per_step):
    response = drive_function(rectifier, gain)
    if temporal:
        running, state = neuron.cumulative_counts(current, state, dt, cumulative, response=response)
    else:
        running, state = neuron.cumulative_counts_constant(current, n_steps, state, dt, response=response)
    if rectifier.signed:
        # Negative spikes are spikes too: count them by their magnitude.
        spikes = tf.reduce_sum(tf.abs(differences(running)), axis=1)
    else:
        spikes = running[:, -1]
    return (differences(running) if per_step else running) * spike_value, spikes, state


def _kernel_serves(node):
    """Whether the compiled CPU kernel can run this population's step-by-step update."""
    return type(node.neuron_type) is SpikingRectifiedLinear and kernels.available()


def _advance_with_kernel(node, current, state, n_steps, dt):
    plain = node.rectifier.is_plain
    if not plain:
        # Keras's rectifier options are evaluated here; the kernel integrates the result.
        current = Signal(drive_function(node.rectifier, node.gain)(current.per_step().tensor), temporal=True)
    output, counts, state, _ = _integrate(node, current, state, n_steps, dt, rectify=plain,
                                          signed=node.rectifier.signed)
    return output, counts, state


def can_fuse(synapse_node, node, signal):
    """Whether ``synapse_node`` and the population ``node`` it alone feeds can run as one
    kernel pass (:func:`advance_filtered_neurons`), given the synapse's input ``signal``."""
    return (
        signal.temporal
        and isinstance(synapse_node.synapse, Lowpass)
        and node.rectifier.is_plain
        and _kernel_serves(node)
    )


def advance_filtered_neurons(synapse_node, synapse_state, node, current, state, n_steps, dt, offset=None):
    """A low-pass synapse and the population it feeds, in one pass of the CPU kernel:
    the same operations as :func:`advance_synapse`, then adding ``offset`` (the bias
    left behind the synapse when it was moved, as an array shaped like the population,
    or ``None``), then :func:`advance_neurons`, without writing the filtered current out.
    Returns ``(output, activity, state, synapse_state)``."""
    return _integrate(
        node, current, state, n_steps, dt, rectify=True, signed=False,
        synapse_state=synapse_state, decay=tf.constant(synapse_node.synapse.decay(dt), tf.float32),
        offset=None if offset is None else tf.constant(offset, tf.float32),
    )


def _integrate(node, current, state, n_steps, dt, **options):
    """The kernel's update of a spiking ReLU population (``options`` as for
    :func:`kernels.integrate_spiking_relu`); returns ``(output, activity, state,
    synapse_state)``."""
    output, counts, voltage, synapse_state = kernels.integrate_spiking_relu(
        current.tensor, state.voltage, gain=tf.constant(node.gain, tf.float32), dt=tf.constant(dt, tf.float32),
        spike_value=tf.constant(node.amplitude / dt, tf.float32), cumulative=current.cumulative, **options,
    )
    state = SpikingState(voltage, state.initial, state.elapsed + n_steps)
    return Signal(output, temporal=True, cumulative=True), counts, state, synapse_state


def drive_function(rectifier, gain):
    """Voltage rise per second of a rectified-linear neuron, as a function of the current."""
    return lambda current: drive(current, gain, rectifier)


def _advance_lif(node, current, state, n_steps, dt):
    """LIF populations: rates, or the exact per-step update (no closed form here)."""
    neuron, gain = node.neuron_type, tf.constant(node.gain, tf.float32)
    if not neuron.spiking:
        return _advance_rates(node, current, lambda tensor: neuron.rates(tensor, gain), n_steps, dt)
    if neuron.tau_ref / node.gain < dt:
        warnings.warn(
            f"Population {node.name!r}: with scale_firing_rates={node.gain:g} its refractory period "
            f"({neuron.tau_ref / node.gain:.3g} s) is shorter than dt ({dt:g} s), so neurons driven hard "
            "would fire more than once per step; LIF neurons cannot, and saturate at 1/dt. Lower the "
            "scale or dt.",
            stacklevel=2,
        )
    tensor = current.tensor if current.temporal else current.expanded(n_steps)
    running, state = neuron.cumulative_counts(tensor, state, dt, current.cumulative, gain)
    output = running * tf.constant(node.amplitude / dt, tf.float32)
    return Signal(output, temporal=True, cumulative=True), running[:, -1], state


def advance_synapse(node, signal, state, n_steps, dt, use_kernels=True):
    """Filter ``signal`` through the node's synapse; returns ``(output, state)`` per step.

    With ``use_kernels`` (and the CPU kernels available) a low-pass synapse on a per-step
    signal runs as its recurrence in one pass; otherwise as TensorFlow's matrix product.
    """
    signal = signal.per_step()
    if not signal.temporal:
        filtered, state = node.synapse.filter_constant(signal.tensor, n_steps, state, dt)
    elif use_kernels and isinstance(node.synapse, Lowpass) and kernels.available():
        decay = tf.constant(node.synapse.decay(dt), tf.float32)
        filtered, state = kernels.lowpass(signal.tensor, state, decay)
    else:
        filtered, state = node.synapse.filter(signal.tensor, state, dt)
    return Signal(filtered, temporal=True), state


@functools.cache
def _compiled(function, jit_compile):
    if not jit_compile:
        return function
    return tf.function(function, jit_compile=True, autograph=False)
