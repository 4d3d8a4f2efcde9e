"""Counting work: synaptic operations of the spiking network, MACs of the ANN.

A spike of neuron ``i`` costs one accumulate per connection it drives in the next
weighted layer (Dense or Conv), reached through any pooling, reshaping, merging or
synapse nodes in between; its *fan-out* is that number of connections (or 1 where
it feeds another population or a graph output directly). Synaptic operations are
``sum(spikes x fan-out)``, the event-driven counterpart of the ANN's
multiply-accumulates (MACs), which are counted for every Dense and Conv output.

A spiking max-pool gates spikes: a spike passes on into each window whose selected
unit (the one with the largest accumulated input) is its neuron, and drives that
window's connections; spikes of the other units are dropped and drive nothing. Which
windows select a neuron changes during a run, so the fan-out counted here is what a
spike drives when every window containing its neuron selects it: for populations
feeding a max-pool, synaptic operations are an upper bound (exact for units that win
all their windows, e.g. the only active unit of each window).

The counts come from each node's own geometry, node type by node type
(:mod:`snnconvert.reports.connections`); a node type with no counting rule is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from snnconvert.ir import SpikingGraph, WeightedNode
from snnconvert.reports.connections import ends_a_spike, input_counts


def ann_macs(graph: SpikingGraph) -> int:
    """Multiply-accumulates of one ANN forward pass (Dense and Conv layers)."""
    return int(sum(node.macs(graph[node.inputs[0]].shape) for node in graph if isinstance(node, WeightedNode)))


def fan_out(graph: SpikingGraph, population: str) -> np.ndarray:
    """Connections driven by one spike of each neuron of ``population``: ``[n_neurons]``.

    Counted backwards from where its spikes end (weighted nodes, populations,
    non-spiking layers, graph outputs) through the nodes between, each by its
    counting rule; a value read out of the network counts one connection per element.
    """
    reached = _descendants(graph, population)
    counts: dict[str, np.ndarray] = {}
    for name in graph.outputs:
        if name in reached:
            counts[name] = np.ones(graph[name].shape)
    for node in reversed(list(graph)):
        if node.name not in reached or node.name == population:
            continue
        if not ends_a_spike(node) and node.name not in counts:
            continue  # nothing it feeds counts a connection
        shapes = [graph[name].shape for name in node.inputs]
        through = input_counts(node, None if ends_a_spike(node) else counts[node.name], shapes)
        for name, count in zip(node.inputs, through):
            if name in reached:
                counts[name] = counts[name] + count if name in counts else np.asarray(count, np.float64)
    return counts.get(population, np.zeros(graph[population].shape)).reshape(-1)


def _descendants(graph: SpikingGraph, origin: str) -> set[str]:
    """``origin`` and every node that reads from it, directly or not."""
    reached = {origin}
    for node in graph:
        if any(name in reached for name in node.inputs):
            reached.add(node.name)
    return reached


def synaptic_operations(graph: SpikingGraph, activity: Mapping[str, Any]) -> dict[str, float]:
    """Layer name -> synaptic operations over the run, from ``result.activity``."""
    return {
        name: float(np.dot(populated.per_neuron, fan_out(graph, populated.node)))
        for name, populated in activity.items()
    }
