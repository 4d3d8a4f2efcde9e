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


class Windows:
    """``n_steps`` cut into windows of ``window`` steps (the last may be shorter): a sequence
    of ``(start, steps)``, computed as it is read, so a very long run holds no list of them."""

    def __init__(self, window, n_steps):
        self.window, self.n_steps = window, n_steps

    def __len__(self):
        return -(-self.n_steps // self.window)

    def __getitem__(self, index):
        start = range(0, self.n_steps, self.window)[index]
        return start, min(self.window, self.n_steps - start)

    def __iter__(self):
        return (self[index] for index in range(len(self)))

    def __eq__(self, other):
        return list(self) == list(other)


def window_bounds(window, n_steps):
    """``[(start, steps)]``: ``n_steps`` cut into windows of ``window`` steps (see :class:`Windows`)."""
    return Windows(window, n_steps)


def _window_of(source, is_temporal, start, steps):
    if isinstance(source, PoissonInput):
        return source.next_steps(steps)
    return source[:, start:start + steps] if is_temporal else source


class WindowCollector:
    """Joins the ``(outputs, activity, probed)`` of one batch's windows as they come:
    probed values along time, spikes per neuron summed (in float64), and outputs along
    time, or, given ``sink``, handed to it window by window (numpy, ``[batch, steps, ...]``)
    and not kept, so that memory does not grow with the number of steps."""

    def __init__(self, sink=None):
        self.sink = sink
        self.outputs, self.activity, self.probed = [], {}, []

    def add(self, outputs, activity, probed):
        outputs = {name: value.numpy() for name, value in outputs.items()}
        if self.sink is None:
            self.outputs.append(outputs)
        else:
            self.sink(outputs)
        for name, counted in activity.items():
            counted = counted.numpy().astype(np.float64)
            self.activity[name] = self.activity[name] + counted if name in self.activity else counted
        self.probed.append({name: value.numpy() for name, value in probed.items()})

    def result(self):
        """``(outputs, activity, probed)`` of the whole batch (no outputs with a sink)."""
        return along_time(self.outputs), self.activity, along_time(self.probed)


def along_time(windows):
    """``{name: values}`` of consecutive windows joined along time (axis 1); ``{}`` for none."""
    return {name: np.concatenate([window[name] for window in windows], axis=1) for name in windows[0]} \
        if windows else {}


def merge_windows(pieces):
    """Join the ``(outputs, activity, probed)`` of one batch's windows: outputs and probed
    values along time, spikes per neuron summed (in float64)."""
    collected = WindowCollector()
    for piece in pieces:
        collected.add(*piece)
    return collected.result()
