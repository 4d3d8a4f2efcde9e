"""Where the NIR export folds a population's gain and spike amplitude into weights.

NIR importers disagree on ``nir.IF``'s ``r`` and on ``nir.Scale``: Sinabs and Norse
ignore ``r``, snnTorch accepts only ``r = 1``, and none of the three reads ``Scale``.
Both factors are linear, so the export moves them into the neighbouring weights, which
every importer reads, whenever the graph allows it:

* ``IF``: ``v' = gain * (W x + b)`` is ``v' = 1 * ((gain W) x + gain b)``, so a
  population fed by a Dense or convolution node that feeds nothing else is written
  with ``r = 1`` and that node's weight and bias multiplied by the gain.
* A spike of amplitude ``a`` reaching a weight ``W`` through linear nodes (synapse,
  flatten, pooling, element-wise scale) adds what a unit spike adds through ``a W``,
  so when every path from the population ends at a weight node, those weights are
  multiplied by ``a`` (not their biases) and no ``Scale`` node is written.

Elsewhere (a population fed by pooling, or read out directly) ``r`` and ``Scale``
stay as they are, which is the same network in NIR's terms.
"""

import dataclasses

from snnconvert.ir import (
    AffineNode,
    AveragePoolNode,
    ConvolutionNode,
    DenseNode,
    GlobalAveragePoolNode,
    NeuronNode,
    PermuteNode,
    ReshapeNode,
    SynapseNode,
)

_WEIGHTED = (DenseNode, ConvolutionNode)
# linear nodes with one input that a spike amplitude passes through unchanged in kind
_LINEAR_PASSTHROUGH = (SynapseNode, ReshapeNode, PermuteNode, AveragePoolNode, GlobalAveragePoolNode, AffineNode)


@dataclasses.dataclass
class ScaleFolding:
    """Factors to fold: ``weight_factor[name]`` multiplies a weighted node's weight,
    ``bias_factor[name]`` its bias; ``unit_gain`` holds the populations written with
    ``r = 1``, ``no_amplitude`` those written without a ``Scale`` node."""

    weight_factor: dict = dataclasses.field(default_factory=dict)
    bias_factor: dict = dataclasses.field(default_factory=dict)
    unit_gain: set = dataclasses.field(default_factory=set)
    no_amplitude: set = dataclasses.field(default_factory=set)

    def _multiply_weight(self, name, factor):
        self.weight_factor[name] = self.weight_factor.get(name, 1.0) * factor


def plan_scale_folding(graph):
    """The :class:`ScaleFolding` of a ``SpikingGraph``."""
    folding = ScaleFolding()
    for node in graph:
        if not isinstance(node, NeuronNode) or not node.spiking:
            continue
        # only a gain that scales the input current moves into the weights (a LIF
        # population's divides its time constants instead)
        source = _sole_weighted_source(graph, node) if node.neuron_type.linear_gain else None
        if source is not None and node.gain != 1:
            folding._multiply_weight(source, node.gain)
            folding.bias_factor[source] = node.gain
        if source is not None:
            folding.unit_gain.add(node.name)
        targets = _weighted_targets(graph, node.name)
        if targets is not None:
            for target in targets:
                if node.amplitude != 1:
                    folding._multiply_weight(target, node.amplitude)
            folding.no_amplitude.add(node.name)
    return folding


def _sole_weighted_source(graph, neurons):
    """The Dense or convolution node feeding ``neurons`` and nothing else, or None."""
    if len(neurons.inputs) != 1:
        return None
    source = graph[neurons.inputs[0]]
    if not isinstance(source, _WEIGHTED) or source.name in graph.outputs:
        return None
    if [consumer.name for consumer in graph.consumers(source.name)] != [neurons.name]:
        return None
    return source.name


def _weighted_targets(graph, name):
    """The weighted nodes that every path from ``name`` reaches through linear nodes
    only, or None if some path ends elsewhere (an output, another kind of node)."""
    if name in graph.outputs:
        return None
    consumers = graph.consumers(name)
    if not consumers:
        return None
    targets = []
    for consumer in consumers:
        if len(consumer.inputs) != 1:
            return None
        if isinstance(consumer, _WEIGHTED):
            targets.append(consumer.name)
            continue
        if not isinstance(consumer, _LINEAR_PASSTHROUGH):
            return None
        further = _weighted_targets(graph, consumer.name)
        if further is None:
            return None
        targets.extend(further)
    return targets
