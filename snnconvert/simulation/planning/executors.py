"""What runs each step of a plan: one executor per node or plan node type.

An executor is ``run(step, inputs, state, window) -> (value, activity, state)``:
``inputs`` the :class:`~snnconvert.simulation.signals.Signal` values the step reads,
``state`` its own state (``None`` if it keeps none), ``window`` the :class:`Window`;
``activity`` maps population names to their spikes in the window. Its
``initial_state(step, size, voltage)`` gives the state before the first step of a batch
of ``size`` samples (``voltage(population, shape)`` draws a population's initial
voltage). Node types without an executor here run as the ops of
:mod:`snnconvert.simulation.ops`.
"""

import dataclasses
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from snnconvert.ir import NeuronNode, SynapseNode
from snnconvert.neurons import Response, SpikingState
from snnconvert.simulation import events, kernels
from snnconvert.simulation.ops import OPS, STATEFUL_OPS
from snnconvert.simulation.planning.rules import FilteredPopulation, FiringProjection
from snnconvert.simulation.populations import advance_filtered_neurons, advance_neurons, advance_synapse
from snnconvert.simulation.signals import Signal


@dataclasses.dataclass(frozen=True)
class Window:
    """What every executor may need of the window being traced."""

    n_steps: int
    dt: float
    jit_compile: bool
    kernels: bool  # the user's choice; each executor also asks kernels.available()


@dataclasses.dataclass(frozen=True)
class Executor:
    run: Callable
    initial_state: Callable = lambda step, size, voltage: None


EXECUTORS = {}


def executes(step_type, initial_state=None):
    """Decorator: register ``run`` as the executor of ``step_type``."""

    def decorator(run):
        if step_type in EXECUTORS:
            raise ValueError(f"{step_type.__name__} already has an executor.")
        EXECUTORS[step_type] = Executor(run, *([initial_state] if initial_state else []))
        return run

    return decorator


def executor_of(step):
    """The executor of ``step``: registered here, or the op of its node type."""
    kind = type(step)
    if kind in EXECUTORS:
        return EXECUTORS[kind]
    if kind in STATEFUL_OPS:
        op = STATEFUL_OPS[kind]

        def run_stateful(node, inputs, state, window):
            value, state = op.advance(node, inputs, state, window.n_steps, window.dt, use_kernels=window.kernels)
            return value, {}, state

        return Executor(run_stateful, lambda node, size, voltage: op.initial_state(node, size))
    if kind in OPS:
        return Executor(lambda node, inputs, state, window: (OPS[kind](node, inputs), {}, None))
    raise TypeError(f"The simulator has no implementation of {kind.__name__} nodes ({step.name!r}).")


def _start_population(node, size, voltage):
    if not node.spiking:
        return None
    return node.neuron_type.start(voltage(node.name, (size, *node.shape)))


@executes(NeuronNode, initial_state=_start_population)
def run_population(node, inputs, state, window):
    value, activity, state = advance_neurons(node, inputs[0], state, window.n_steps, window.dt,
                                             window.jit_compile, window.kernels)
    return value, {node.name: activity}, state


@executes(SynapseNode, initial_state=lambda node, size, voltage: tf.zeros((size, *node.shape), tf.float32))
def run_synapse(node, inputs, state, window):
    value, state = advance_synapse(node, inputs[0], state, window.n_steps, window.dt, window.kernels)
    return value, {}, state


def _start_filtered(step, size, voltage):
    """The population's state and the synapse's output before the first step."""
    return (_start_population(step.population, size, voltage),
            tf.zeros((size, *step.synapse.shape), tf.float32))


@executes(FilteredPopulation, initial_state=_start_filtered)
def run_filtered_population(step, inputs, state, window):
    population = step.population
    offset = None if step.offset is None else np.broadcast_to(step.offset.offset, population.shape)
    value, activity, neuron_state, synapse_state = advance_filtered_neurons(
        step.synapse, state[1], population, inputs[0], state[0], window.n_steps, window.dt, offset,
    )
    return value, {population.name: activity}, (neuron_state, synapse_state)


@executes(FiringProjection, initial_state=lambda step, size, voltage: _start_population(step.population, size, voltage))
def run_firing_projection(step, inputs, state, window):
    """The population and the Dense/Conv2D it drives, together: sparse spikes are
    scattered event by event into the consumer, dense ones take the tensor path. Both
    give the same spikes; the consumer's output is per step."""
    population, consumer, n_steps, dt = step.population, step.consumer, window.n_steps, window.dt
    current = inputs[0]
    batch = tf.shape(current.tensor)[0]

    def flat(tensor):
        return tf.reshape(tensor, [batch, population.size])

    def unflat(tensor):
        return tf.reshape(tensor, tf.shape(state.voltage))

    increment = flat(population.neuron_type.drive(current.tensor, Response(population.gain, population.rectifier)) * dt)
    flat_state = SpikingState(flat(state.voltage), flat(state.initial), state.elapsed)
    before, after = events.emitted_before_and_after(increment, flat_state, n_steps)
    slots = tf.cast(batch * n_steps * population.size, tf.float32)
    with_kernels = window.kernels and kernels.available()

    def scattered():
        spike_value = population.amplitude / dt
        if with_kernels:
            output, counts, new_state = events.fire_into(consumer, increment, flat_state, n_steps, before, after,
                                                         population.shape, spike_value)
        else:
            listed, counts, new_state = events.constant_spike_events(increment, flat_state, n_steps, before, after)
            output = events.project_events(consumer, listed, population.shape, batch, n_steps, spike_value)
        new_state = SpikingState(unflat(new_state.voltage), state.initial, new_state.elapsed)
        return output, unflat(counts), new_state

    def dense():
        # Spikes per step (from the same fused pass), so that the consumer's output
        # needs no differencing: a pass over a large tensor saved.
        spikes, counts, new_state = advance_neurons(population, current, state, n_steps, dt, window.jit_compile,
                                                    window.kernels, per_step=True)
        return OPS[type(consumer)](consumer, [spikes]).per_step().tensor, counts, new_state

    spikes = tf.reduce_sum(after - before)
    # Read when traced, so that tests can move the threshold.
    dense_above = events.DENSE_ABOVE * (events.KERNEL_EVENT_ADVANTAGE if with_kernels else 1)
    output, counts, new_state = tf.cond(spikes < dense_above * slots, scattered, dense)
    return Signal(output, temporal=True), {population.name: counts}, new_state
