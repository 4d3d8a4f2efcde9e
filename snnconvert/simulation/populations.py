"""Neuron populations and synapses, advanced over a window of steps at once."""

import tensorflow as tf

from snnconvert.simulation.signals import Signal


def advance_neurons(node, current, state, n_steps, dt):
    """Run one population for ``n_steps`` steps.

    Args:
        node: the :class:`~snnconvert.ir.NeuronNode`.
        current: input :class:`Signal` (before the gain).
        state: the population's :class:`~snnconvert.neurons.SpikingState`, or
            ``None`` for rate neurons.

    Returns:
        ``(output, activity, state)``: the output signal; ``activity``, the spikes
        each neuron emitted in the window ``[batch, ...]`` (exact integers; for rate
        neurons the expected count ``rate * dt`` summed over steps); the new state.
    """
    neuron = node.neuron_type
    drive = current.tensor * node.gain
    if neuron.spiking:
        if current.temporal:
            counts, new_state = neuron.spike_counts(drive, state, dt)
        else:
            counts, new_state = neuron.spike_counts_constant(drive, n_steps, state, dt)
        activity = new_state.emitted - state.emitted
        return Signal(counts * (node.amplitude / dt), temporal=True), activity, new_state
    rates = neuron.rates(drive)
    per_step = tf.reduce_sum(rates, axis=1) if current.temporal else rates * n_steps
    return Signal(rates * node.amplitude, temporal=current.temporal), per_step * dt, None


def advance_synapse(node, signal, state, n_steps, dt):
    """Filter ``signal`` through the node's synapse; returns ``(output, state)``."""
    if signal.temporal:
        filtered, state = node.synapse.filter(signal.tensor, state, dt)
    else:
        filtered, state = node.synapse.filter_constant(signal.tensor, n_steps, state, dt)
    return Signal(filtered, temporal=True), state
