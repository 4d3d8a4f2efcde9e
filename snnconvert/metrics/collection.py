"""Gathering batch results into dataset-level outputs and spike statistics."""

import dataclasses

import numpy as np

from snnconvert.metrics.results import PopulationActivity, SimulationResult


@dataclasses.dataclass
class SpikeTotals:
    """One batch's spikes per population, summed two ways: per image ``[b]`` and per
    neuron ``[n_neurons]`` (float64; integers for spiking populations)."""

    per_image: dict
    per_neuron: dict

    @classmethod
    def of(cls, activity):
        """The totals of ``activity``, ``{population: spikes per neuron [b, ...]}``."""
        flat = {name: value.reshape(len(value), -1) for name, value in activity.items()}
        return cls({name: value.sum(axis=1) for name, value in flat.items()},
                   {name: value.sum(axis=0) for name, value in flat.items()})


@dataclasses.dataclass
class BatchResult:
    """One batch's outputs ``[b, steps, ...]``, spikes per neuron ``[b, ...]`` over the
    run, probed values, and labels (when the data carried them).

    Each batch runner builds its own: the simulator's on one device fills ``activity``;
    the one splitting batches across replicas (:mod:`snnconvert.simulation.distributed`)
    gives only the spikes already summed across them, ``counts``, and no ``activity``.
    ``Simulator.iterate`` adds the labels and inputs. ``outputs`` is empty when they were
    handed, window by window, to the ``outputs_to`` of ``Simulator.iterate`` instead.
    """

    outputs: dict
    activity: dict
    probes: dict
    labels: object = None
    inputs: list = None
    counts: SpikeTotals = None

    def spike_totals(self):
        return self.counts if self.counts is not None else SpikeTotals.of(self.activity)

    @property
    def size(self):
        if self.inputs is not None:
            return len(self.inputs[0])
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
        totals = batch.spike_totals()
        for name, per_image in totals.per_image.items():
            self.per_image[name].append(per_image)
            self.per_neuron[name] += totals.per_neuron[name]

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
