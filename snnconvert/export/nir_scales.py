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

* Sums (``nir_merging``): a population fed by a sum that feeds nothing else takes
  ``r = 1``, the gain moving onto every summand. A summand's factor (its coefficient
  times that gain) goes into the weight and bias of the Dense or convolution node
  producing it when that node feeds only the sum; a spike amplitude reaching a sum or
  a concatenation goes onto that summand. What is left of a summand's factor, unless
  it is 1 (a gain ``s`` times an amplitude ``1/s``), the export multiplies by a
  diagonal weight.

Elsewhere (a population fed by pooling, or read out directly) ``r`` and ``Scale``
stay as they are, which is the same network in NIR's terms.
"""

from __future__ import annotations

import dataclasses

from snnconvert.ir import (
    AddNode,
    AffineNode,
    AveragePoolNode,
    ConcatenateNode,
    ConvolutionNode,
    DenseNode,
    GlobalAveragePoolNode,
    PermuteNode,
    ReshapeNode,
    SpikingGraph,
    SynapseNode,
)

_WEIGHTED = (DenseNode, ConvolutionNode)
# linear nodes with one input that a spike amplitude passes through unchanged in kind
_LINEAR_PASSTHROUGH = (SynapseNode, ReshapeNode, PermuteNode, AveragePoolNode, GlobalAveragePoolNode, AffineNode)
_MERGING = (AddNode, ConcatenateNode)

# A merging node's input, by the node's name and the input's position.
Term = tuple[str, int]


@dataclasses.dataclass
class ScaleFolding:
    """Factors to fold: ``weight_factor[name]`` multiplies a weighted node's weight,
    ``bias_factor[name]`` its bias, ``term_factor[(name, position)]`` an input of a sum
    or concatenation (in place of a sum's coefficient); ``unit_gain`` holds the
    populations written with ``r = 1``, ``no_amplitude`` those written without a
    ``Scale`` node."""

    weight_factor: dict[str, float] = dataclasses.field(default_factory=dict)
    bias_factor: dict[str, float] = dataclasses.field(default_factory=dict)
    term_factor: dict[Term, float] = dataclasses.field(default_factory=dict)
    unit_gain: set[str] = dataclasses.field(default_factory=set)
    no_amplitude: set[str] = dataclasses.field(default_factory=set)


def _multiply(table: dict, key: object, factor: float) -> None:
    table[key] = table.get(key, 1.0) * factor


def plan_scale_folding(graph: SpikingGraph) -> ScaleFolding:
    """The :class:`ScaleFolding` of a ``SpikingGraph``."""
    folding = ScaleFolding()
    sum_gains = _fold_gains(graph, folding)
    _fold_sum_factors(graph, folding, sum_gains)
    for node in graph.neuron_nodes:
        if not node.spiking:
            continue
        targets = _amplitude_targets(graph, node.name)
        if targets is not None:
            for target in targets:
                table = folding.term_factor if isinstance(target, tuple) else folding.weight_factor
                if node.amplitude != 1:
                    _multiply(table, target, node.amplitude)
            folding.no_amplitude.add(node.name)
    return folding


def _fold_gains(graph: SpikingGraph, folding: ScaleFolding) -> dict[str, float]:
    """Fold the gains of spiking ReLU populations into the weighted node feeding them;
    returns the gains left for the sums that feed populations, by the sum's name."""
    sum_gains = {}
    for node in graph.neuron_nodes:
        # a LIF population's gain divides its time constants instead (nir_neurons)
        # only a gain that scales the input current moves into the weights (a LIF
        # population's divides its time constants instead)
        if not node.spiking or not node.neuron_type.linear_gain:
            continue
        source = _sole_source(graph, node, _WEIGHTED)
        if source is not None:
            if node.gain != 1:
                _multiply(folding.weight_factor, source, node.gain)
                folding.bias_factor[source] = node.gain
            folding.unit_gain.add(node.name)
        elif (source := _sole_source(graph, node, (AddNode,))) is not None:
            sum_gains[source] = node.gain
            folding.unit_gain.add(node.name)
    return sum_gains


def _fold_sum_factors(graph: SpikingGraph, folding: ScaleFolding, sum_gains: dict[str, float]) -> None:
    """Give every summand its factor, folded into the weighted node producing it if it can."""
    for node in graph:
        if not isinstance(node, AddNode):
            continue
        for position, name in enumerate(node.inputs):
            coefficient = node.coefficients[position] if node.coefficients else 1.0
            factor = coefficient * sum_gains.get(node.name, 1.0)
            if _sole_source(graph, node, _WEIGHTED, position) is not None and node.inputs.count(name) == 1:
                _multiply(folding.weight_factor, name, factor)
                _multiply(folding.bias_factor, name, factor)
                factor = 1.0
            folding.term_factor[(node.name, position)] = factor


def _sole_source(graph: SpikingGraph, node, kinds, position: int = 0) -> str | None:
    """The name of input ``position`` of ``node`` if it is one of ``kinds``, feeds
    ``node`` and nothing else and is no output (for ``position = 0``, only if ``node``
    has one input); else None."""
    if position == 0 and len(node.inputs) != 1 and not isinstance(node, _MERGING):
        return None
    source = graph[node.inputs[position]]
    if not isinstance(source, kinds) or source.name in graph.outputs:
        return None
    if [consumer.name for consumer in graph.consumers(source.name)] != [node.name]:
        return None
    return source.name


def _amplitude_targets(graph: SpikingGraph, name: str) -> list[str | Term] | None:
    """The weighted nodes and the inputs of sums and concatenations that every path from
    ``name`` reaches through linear nodes only, or None if some path ends elsewhere (an
    output, another kind of node)."""
    if name in graph.outputs:
        return None
    consumers = graph.consumers(name)
    if not consumers:
        return None
    targets: list[str | Term] = []
    for consumer in consumers:
        if isinstance(consumer, _MERGING):
            targets.extend((consumer.name, p) for p, each in enumerate(consumer.inputs) if each == name)
            continue
        if len(consumer.inputs) != 1:
            return None
        if isinstance(consumer, _WEIGHTED):
            targets.append(consumer.name)
            continue
        if not isinstance(consumer, _LINEAR_PASSTHROUGH):
            return None
        further = _amplitude_targets(graph, consumer.name)
        if further is None:
            return None
        targets.extend(further)
    return targets
