"""Fusion rules: where a chain of nodes runs better as one plan node.

A rule is ``rule(node, facts) -> plan node or None``: whether a fusion starts at
``node`` of ``facts.graph``. Its plan node names the nodes it replaces
(``members``, the last of which gives it its place, name and value); the planner
tries the rules of :data:`RULES` in order at every node not yet replaced.
"""

import dataclasses

import numpy as np

from snnconvert.ir import AffineNode, NeuronNode, SynapseNode
from snnconvert.simulation.events import can_project_into
from snnconvert.simulation.populations import can_fuse


@dataclasses.dataclass(frozen=True)
class FilteredPopulation:
    """A low-pass synapse, the bias left behind it when it was moved (see
    :func:`~snnconvert.ir.defer_synapses`; ``None`` if none) and the spiking population
    they alone feed: one pass of the compiled kernel, never writing the filtered current."""

    synapse: SynapseNode
    offset: AffineNode | None
    population: NeuronNode

    @property
    def name(self):
        return self.population.name

    @property
    def inputs(self):
        return self.synapse.inputs

    @property
    def members(self):
        return tuple(node.name for node in (self.synapse, self.offset, self.population) if node is not None)


@dataclasses.dataclass(frozen=True)
class FiringProjection:
    """A spiking population fed a constant current and the one Dense or Conv2D reading
    it: sparse spikes are timed by the closed form and scattered into the layer."""

    population: NeuronNode
    consumer: object

    @property
    def name(self):
        return self.consumer.name

    @property
    def inputs(self):
        return self.population.inputs

    @property
    def members(self):
        return self.population.name, self.consumer.name


def _hidden_sole_consumer(node, facts):
    """The one node reading ``node``, if nothing else (probe, output) sees ``node``."""
    consumers = facts.graph.consumers(node.name)
    hidden = node.name not in facts.probes and node.name not in facts.graph.outputs
    return consumers[0] if hidden and len(consumers) == 1 else None


def filtered_population(node, facts):
    """A synapse with a temporal input feeding one spiking population the kernel serves,
    directly or through the bias node left behind it, with nothing else reading them."""
    if not (facts.kernels and isinstance(node, SynapseNode)):
        return None
    after, offset = _hidden_sole_consumer(node, facts), None
    if isinstance(after, AffineNode) and np.all(after.scale == 1):
        offset, after = after, _hidden_sole_consumer(after, facts)
    if not (isinstance(after, NeuronNode) and after.spiking):
        return None
    if not can_fuse(node, after, facts.temporal[node.inputs[0]]):
        return None
    return FilteredPopulation(node, offset, after)


def firing_projection(node, facts):
    """A spiking population with a closed form, fed a constant current, emitting
    positive spikes only, read by one Dense or Conv2D its spikes can scatter into."""
    if not (isinstance(node, NeuronNode) and node.spiking and node.neuron_type.closed_form):
        return None
    if node.neuron_type.signed_spikes(node.rectifier) or facts.temporal[node.inputs[0]]:
        return None
    consumer = _hidden_sole_consumer(node, facts)
    if consumer is None or not can_project_into(consumer, node.shape):
        return None
    return FiringProjection(node, consumer)


# In order of preference, where two could start at the same node.
RULES = [filtered_population, firing_projection]
