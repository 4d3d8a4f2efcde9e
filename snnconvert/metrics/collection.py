"""Gathering batch results into dataset-level outputs and spike statistics."""

import dataclasses

import numpy as np

from snnconvert.metrics.results import PopulationActivity, SimulationResult


@dataclasses.dataclass
class BatchResult:
    """One batch's outputs ``[b, steps, ...]``, spikes per neuron ``[b, ...]`` over the
    run, probed values, and labels (when the data carried them)."""

    outputs: dict
    activity: dict
    probes: dict
    labels: object = None
    inputs: list = None

    @property
    def size(self):
        return len(next(iter(self.outputs.values())))


class ActivityCollector:
    """Accumulates batch results into dataset-level arrays and spike statistics."""

    def __init__(self, graph, probes):
        self.graph = graph
        self.outputs = {name: [] for name in graph.outputs}
        self.probes = {name: [] for name in probes}
        self.per_image = {node.name: [] for node in graph.neuron_nodes}
        self.per_neuron = {node.name: np.zeros(node.size, np.float64) for node in graph.neuron_nodes}
        self.n_images = 0

    def add(self, batch, keep_outputs=True):
        self.n_images += batch.size
        if keep_outputs:
            for name, value in batch.outputs.items():
                self.outputs[name].append(value)
        for name, value in batch.probes.items():
            self.probes[name].append(value)
        for name, value in batch.activity.items():
            flat = value.reshape(len(value), -1)
            self.per_image[name].append(flat.sum(axis=1))
            self.per_neuron[name] += flat.sum(axis=0)

    def result(self, n_steps, dt):
        activity = {}
        for node in self.graph.neuron_nodes:
            activity[node.name] = PopulationActivity(
                node=node.name,
                layer=node.source,
                spiking=node.spiking,
                per_image=np.concatenate(self.per_image[node.name]),
                per_neuron=self.per_neuron[node.name],
                n_steps=n_steps,
                dt=dt,
            )
        return SimulationResult(
            outputs={name: np.concatenate(parts) for name, parts in self.outputs.items() if parts},
            activity=activity,
            probes={name: np.concatenate(parts) for name, parts in self.probes.items()},
            n_steps=n_steps,
            dt=dt,
            n_images=self.n_images,
        )
