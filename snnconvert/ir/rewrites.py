"""Graph rewrites that change how a converted network spikes (not what it computes
in rate mode): the choices behind ``scale_firing_rates="auto"`` for deep networks.

Unlike :mod:`snnconvert.ir.passes`, which keeps every value of the network, these
rewrite its spiking dynamics:

* :func:`use_integrate_and_fire`: plain-ReLU populations integrate the signed current
  (:class:`~snnconvert.neurons.IntegrateAndFire`) instead of rectifying it each step;
* :func:`integrate_outputs`: each output becomes the mean of its values since the
  first step (:class:`RunningMeanNode`), an integrating readout, unless a synapse
  already filters it.

Everything here is numpy and dataclasses; the simulator's implementation of
:class:`RunningMeanNode` runs as :mod:`snnconvert.simulation.ops.readout`.
"""

import dataclasses

from snnconvert.ir.nodes import NeuronNode, Node, SynapseNode


@dataclasses.dataclass(eq=False, kw_only=True)
class RunningMeanNode(Node):
    """An integrating readout: at step ``t`` of a run, the mean of its input over steps
    ``1..t``. For a network of spiking ReLUs that mean is the spikes counted so far,
    decoded, so the class read at the last step uses every spike of the run, where the
    value of one step carries only that step's spikes."""

    def describe(self):
        return "mean since the first step"


def use_integrate_and_fire(graph, initial_voltage=None):
    """``graph`` with every plain-ReLU :class:`~snnconvert.neurons.SpikingRectifiedLinear`
    population turned into an :class:`~snnconvert.neurons.IntegrateAndFire` one with the
    same amplitude (and ``initial_voltage``). Populations with Keras's ReLU options (negative slope, threshold,
    maximum) keep their type: the signed integral only stands for a plain ReLU."""
    # Imported here: the IR itself does not import the (TensorFlow) neuron models.
    from snnconvert.neurons import IntegrateAndFire, SpikingRectifiedLinear

    nodes = []
    for node in graph:
        if (isinstance(node, NeuronNode) and type(node.neuron_type) is SpikingRectifiedLinear
                and node.rectifier.is_plain):
            node = dataclasses.replace(node, neuron_type=IntegrateAndFire(node.neuron_type.amplitude, initial_voltage))
        nodes.append(node)
    return graph.replace(nodes)


def integrate_outputs(graph):
    """``graph`` with a :class:`RunningMeanNode` after each output that spikes reach
    without passing through a synapse; that node becomes the output (named
    ``<output>.mean``). Outputs of rate-only networks, or already filtered, are kept."""
    filtered = _reached_by_spikes(graph)
    nodes, outputs = list(graph), []
    for name in graph.outputs:
        if filtered.get(name) != "spikes":
            outputs.append(name)
            continue
        mean = RunningMeanNode(name=f"{name}.mean", inputs=(name,), shape=graph[name].shape,
                               source=graph[name].source)
        nodes.append(mean)
        outputs.append(mean.name)
    return graph.replace(nodes, outputs)


def _reached_by_spikes(graph):
    """Node name -> ``"spikes"`` if unfiltered spikes reach it, ``"filtered"`` if every
    spiking path to it goes through a synapse, absent if no spikes reach it."""
    state = {}
    for node in graph:
        if isinstance(node, NeuronNode):
            state[node.name] = "spikes" if node.spiking else None
        elif isinstance(node, SynapseNode):
            state[node.name] = "filtered" if state.get(node.inputs[0]) else None
        else:
            reached = {state.get(name) for name in node.inputs} - {None}
            state[node.name] = "spikes" if "spikes" in reached else ("filtered" if reached else None)
    return {name: value for name, value in state.items() if value}
