"""Planning: what the simulator runs for a graph, decided before a window is traced.

:func:`plan_window` rewrites the simulated graph into a :class:`Plan`: each node stays
as it is, or a fusion rule (:mod:`.rules`) merges a chain of nodes into a plan node (a
low-pass synapse with the population it feeds, a population firing into the layer it
drives, ...). Every step of the plan, plain node or plan node, is run by the executor
registered for its type (:mod:`.executors`), so the window loop is one call per step
and a new fusion is one rule and one executor. As in NengoDL, where the graph optimiser
merges operators before any builder runs, the decisions depend only on the graph and
on facts known before tracing: which inputs vary over time (propagated statically
through the graph, see :func:`temporal_nodes`) and whether the compiled kernels serve.
"""

from snnconvert.simulation.planning.executors import EXECUTORS, Window, executes
from snnconvert.simulation.planning.planner import Plan, plan_window, temporal_nodes
from snnconvert.simulation.planning.rules import RULES, FilteredPopulation, FiringProjection

__all__ = [
    "EXECUTORS",
    "RULES",
    "FilteredPopulation",
    "FiringProjection",
    "Plan",
    "Window",
    "executes",
    "plan_window",
    "temporal_nodes",
]
