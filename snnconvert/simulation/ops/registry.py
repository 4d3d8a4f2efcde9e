"""The tables that map node types to their TensorFlow implementations.

``OPS`` holds the nodes that keep no state: ``op(node, inputs) -> Signal``. Each
takes the node and its input :class:`~snnconvert.simulation.signals.Signal` values
and applies to every step of a window at once. A linear op keeps the form of its
input (static, per step or cumulative); a non-linear one works on per-step values.

``STATEFUL_OPS`` holds the nodes, other than neuron populations and synapses, whose
output depends on earlier steps (a spiking max-pool remembers which unit has
received most so far). Their state is carried from one window to the next.
"""

import dataclasses
from collections.abc import Callable

OPS = {}
STATEFUL_OPS = {}


@dataclasses.dataclass(frozen=True)
class StatefulOp:
    """``initial_state(node, batch_size) -> state`` (a tensor or a tuple of them);
    ``advance(node, inputs, state, n_steps, dt) -> (Signal, state)``."""

    initial_state: Callable
    advance: Callable


def implements(node_type):
    """Decorator: register ``function`` as the stateless op for ``node_type``."""

    def decorator(function):
        if node_type in OPS or node_type in STATEFUL_OPS:
            raise ValueError(f"{node_type.__name__} already has an implementation.")
        OPS[node_type] = function
        return function

    return decorator


def implements_stateful(node_type, initial_state):
    """Decorator: register ``advance`` (and ``initial_state``) for ``node_type``."""

    def decorator(advance):
        if node_type in OPS or node_type in STATEFUL_OPS:
            raise ValueError(f"{node_type.__name__} already has an implementation.")
        STATEFUL_OPS[node_type] = StatefulOp(initial_state, advance)
        return advance

    return decorator
