"""Neuron populations and their synapses, advanced over a window of steps at once."""

import tensorflow as tf

from snnconvert.simulation.signals import Signal


def advance_population(node, current, voltage, synapse_state, n_steps, dt):
    """Run one population for ``n_steps`` steps.

    Args:
        node: the :class:`~snnconvert.ir.NeuronNode`.
        current: input :class:`Signal` (before the gain).
        voltage: ``[batch, ...]`` membrane state, or ``None`` for rate neurons.
        synapse_state: ``[batch, ...]`` filter state, or ``None`` without a synapse.

    Returns:
        ``(output, activity, voltage, synapse_state)``: the output signal after the
        synapse; ``activity``, the spikes each neuron emitted in the window
        ``[batch, ...]`` (exact integers; for rate neurons the expected count
        ``rate * dt`` summed over steps); and the updated states.
    """
    neuron = node.neuron_type
    drive = current.tensor * node.gain
    if neuron.spiking:
        if current.temporal:
            counts, voltage = neuron.spike_counts(drive, voltage, dt)
        else:
            counts, voltage = neuron.spike_counts_constant(drive, n_steps, voltage, dt)
        activity = tf.reduce_sum(counts, axis=1)
        output = Signal(counts * (node.amplitude / dt), temporal=True)
    else:
        rates = neuron.rates(drive)
        steps = tf.reduce_sum(rates, axis=1) if current.temporal else rates * n_steps
        activity = steps * dt
        output = Signal(rates * node.amplitude, temporal=current.temporal)

    if node.synapse is not None:
        if output.temporal:
            filtered, synapse_state = node.synapse.filter(output.tensor, synapse_state, dt)
        else:
            filtered, synapse_state = node.synapse.filter_constant(
                output.tensor, n_steps, synapse_state, dt
            )
        output = Signal(filtered, temporal=True)
    return output, activity, voltage, synapse_state
