"""The windows of steps a batch is simulated in, as every batch runner sees them.

A runner (:class:`~snnconvert.simulation.Simulator`'s own, or the one splitting batches
across replicas in :mod:`snnconvert.simulation.distributed`) gets a :class:`BatchStart`
from ``Simulator.start_batch``, walks ``Simulator.windows``, and runs
``Simulator.window_function`` on each window's inputs, carrying the states it returns.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from snnconvert.simulation.encoding import PoissonInput


@dataclasses.dataclass
class BatchStart:
    """A batch (or one replica's shard of it) before its first window.

    Attributes:
        sources: per graph input, its array, or the :class:`PoissonInput` making its spikes.
        temporal: per input, whether it varies over time (Poisson input does).
        neuron_states, node_states: the states before the first step, by node name.
    """

    sources: list
    temporal: tuple
    neuron_states: dict
    node_states: dict

    def window_inputs(self, start, steps):
        """The inputs of the window of ``steps`` steps from ``start``, one tensor per input.
        Poisson input is drawn as it is asked for: ask for the windows in order."""
        return tuple(tf.constant(_window_of(source, is_temporal, start, steps))
                     for source, is_temporal in zip(self.sources, self.temporal))


def window_bounds(window, n_steps):
    """``[(start, steps)]``: ``n_steps`` cut into windows of ``window`` steps (the last may be shorter)."""
    return [(start, min(window, n_steps - start)) for start in range(0, n_steps, window)]


def _window_of(source, is_temporal, start, steps):
    if isinstance(source, PoissonInput):
        return source.next_steps(steps)
    return source[:, start:start + steps] if is_temporal else source


def merge_windows(pieces):
    """Join the ``(outputs, activity, probed)`` of one batch's windows: outputs and probed
    values along time, spikes per neuron summed (in float64)."""
    outputs = {name: np.concatenate([p[0][name].numpy() for p in pieces], axis=1) for name in pieces[0][0]}
    activity = {}
    for piece in pieces:
        for name, counted in piece[1].items():
            counted = counted.numpy().astype(np.float64)
            activity[name] = activity[name] + counted if name in activity else counted
    probed = {name: np.concatenate([p[2][name].numpy() for p in pieces], axis=1) for name in pieces[0][2]}
    return outputs, activity, probed
