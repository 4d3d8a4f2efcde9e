"""The planner: a graph and the facts known before tracing, rewritten into a :class:`Plan`."""

import dataclasses

from snnconvert.ir import InputNode, NeuronNode, SynapseNode
from snnconvert.simulation.planning import rules
from snnconvert.simulation.planning.executors import executor_of


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the rules may ask: the ``graph``, the ``probes`` (names whose values must
    stay visible), per node whether its value varies over time (``temporal``) and
    whether the user allows the compiled kernels (``kernels``; a rule asks
    ``kernels.available()`` itself)."""

    graph: object
    probes: tuple
    temporal: dict
    kernels: bool


@dataclasses.dataclass(frozen=True)
class Plan:
    """The ``steps`` to run in order, each ``(step, executor)`` (a step is a graph node or
    a plan node of :mod:`.rules`), after the graph's ``inputs``; ``temporal`` says, per
    node name, whether its value varies over time, which the window checks as it runs."""

    inputs: tuple
    steps: tuple
    temporal: dict


def temporal_nodes(graph, temporal):
    """``{name: bool}``: whether each node's value varies over time, given whether each
    graph input does (``temporal``, in the order of ``graph.inputs``). Spiking
    populations and synapses always vary; every other node varies if an input does."""
    varies = dict(zip((node.name for node in graph.inputs), temporal, strict=True))
    for node in graph:
        if isinstance(node, InputNode):
            continue
        always = isinstance(node, SynapseNode) or (isinstance(node, NeuronNode) and node.spiking)
        varies[node.name] = always or any(varies[name] for name in node.inputs)
    return varies


def plan_window(graph, probes, temporal, kernels):
    """The :class:`Plan` of ``graph`` with ``probes`` kept visible, for inputs that vary
    over time as ``temporal`` says, with the compiled kernels allowed or not."""
    facts = Facts(graph, tuple(probes), temporal_nodes(graph, temporal), bool(kernels))
    placed, replaced = {}, set()
    for node in graph:
        if node.name in replaced or isinstance(node, InputNode):
            continue
        fused = next((step for rule in rules.RULES
                      if (step := rule(node, facts)) is not None and replaced.isdisjoint(step.members)), None)
        if fused is not None:
            replaced.update(fused.members)
            placed[fused.members[-1]] = fused  # runs where its last member did
    steps = []
    for node in graph:
        if isinstance(node, InputNode) or (node.name in replaced and node.name not in placed):
            continue
        step = placed.get(node.name, node)
        steps.append((step, executor_of(step)))
    return Plan(tuple(node.name for node in graph.inputs), tuple(steps), facts.temporal)
