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

import tensorflow as tf

from snnconvert.neurons import Response, SpikingState
from snnconvert.simulation import kernels
from snnconvert.simulation.signals import Signal, differences
from snnconvert.synapses import Lowpass


def advance_neurons(node, current, state, n_steps, dt, jit_compile=True, use_kernels=True, per_step=False):
    """Run one population for ``n_steps`` steps, through its neuron type's contract
    (:class:`~snnconvert.neurons.NeuronType`).

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
    neuron = node.neuron_type
    if not neuron.spiking:
        return _advance_rates(node, current, n_steps, dt)
    neuron.check_step(node.name, node.gain, dt)
    use = kernel_use(node) if use_kernels and current.temporal else None
    if use is not None:
        return _advance_with_kernel(node, current, state, n_steps, dt, use)
    update = _compiled(_spiking_update, jit_compile and neuron.closed_form and not current.temporal)
    # Scalars go in as tensors: one compiled function then serves every scale.
    per_step = per_step and not current.temporal
    output, activity, state = update(
        neuron, node.rectifier, current.tensor, state, tf.constant(node.gain, tf.float32),
        tf.constant(node.amplitude / dt, tf.float32), tf.constant(dt, tf.float32),
        n_steps, current.temporal, current.cumulative, per_step,
    )
    return Signal(output, temporal=True, cumulative=not per_step), activity, state


def _advance_rates(node, current, n_steps, dt):
    """A rate population: output ``amplitude * rate`` at every step, and as activity the
    expected spike counts, ``|rate| * dt`` summed over the window."""
    current = current.per_step()
    rates = node.neuron_type.rates(current.tensor, Response(node.gain, node.rectifier))
    magnitude = tf.abs(rates) if node.neuron_type.signed_spikes(node.rectifier) else rates
    per_step = tf.reduce_sum(magnitude, axis=1) if current.temporal else magnitude * n_steps
    return Signal(rates * node.amplitude, temporal=current.temporal), per_step * dt, None


def _spiking_update(neuron, rectifier, current, state, gain, spike_value, dt, n_steps, temporal, cumulative,
                    per_step):
    response = Response(gain, rectifier)
    if temporal:
        running, state = neuron.cumulative_counts(current, state, dt, cumulative, response)
    else:
        running, state = neuron.cumulative_counts_constant(current, n_steps, state, dt, response)
    if neuron.signed_spikes(rectifier):
        # Negative spikes are spikes too: count them by their magnitude.
        spikes = tf.reduce_sum(tf.abs(differences(running)), axis=1)
    else:
        spikes = running[:, -1]
    return (differences(running) if per_step else running) * spike_value, spikes, state


def kernel_use(node):
    """How the compiled CPU kernel runs this population's step-by-step update (a
    :class:`~snnconvert.neurons.KernelUse`), or ``None`` if it cannot here."""
    use = node.neuron_type.kernel_use(node.rectifier) if node.neuron_type.spiking else None
    return use if use is not None and kernels.available() else None


def _advance_with_kernel(node, current, state, n_steps, dt, use):
    if not (use.rectify or use.signed_current):
        # The neuron's response (e.g. Keras's rectifier options) is evaluated here; the kernel integrates it.
        drive = node.neuron_type.drive(current.per_step().tensor, Response(node.gain, node.rectifier))
        current = Signal(drive, temporal=True)
    output, counts, state, _ = _integrate(node, current, state, n_steps, dt, **use._asdict())
    return output, counts, state


def can_fuse(synapse_node, node, signal_temporal):
    """Whether ``synapse_node`` and the population ``node`` it alone feeds can run as one
    kernel pass (:func:`advance_filtered_neurons`), given whether the synapse's input is
    temporal: the kernel must apply the population's response itself."""
    use = kernel_use(node)
    applies_response = use is not None and (use.rectify or use.signed_current)
    return signal_temporal and isinstance(synapse_node.synapse, Lowpass) and applies_response


def advance_filtered_neurons(synapse_node, synapse_state, node, current, state, n_steps, dt, offset=None):
    """A low-pass synapse and the population it feeds, in one pass of the CPU kernel:
    the same operations as :func:`advance_synapse`, then adding ``offset`` (the bias
    left behind the synapse when it was moved, as an array shaped like the population,
    or ``None``), then :func:`advance_neurons`, without writing the filtered current out.
    Returns ``(output, activity, state, synapse_state)``."""
    use = kernel_use(node)
    return _integrate(
        node, current, state, n_steps, dt, **use._asdict(),
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
