"""Batched, time-parallel simulation of a spiking graph in TensorFlow.

The graph is feed-forward, so each window ("chunk") of steps is computed layer by
layer: every linear node runs once over ``batch * steps`` samples and every neuron
population integrates the whole window at once (see :mod:`snnconvert.neurons` and
:mod:`snnconvert.simulation.signals`). Neuron and synapse states are carried from one
window to the next, which bounds memory for long simulations; results agree with a
single window up to float32 rounding of the currents (see the README).
"""

import dataclasses

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from snnconvert._validation import check_choice, check_positive_int, check_positive_number
from snnconvert.ir import AffineNode, InputNode, NeuronNode, SynapseNode, defer_synapses
from snnconvert.metrics.collection import ActivityCollector, BatchResult
from snnconvert.neurons import SpikingRectifiedLinear, SpikingState
from snnconvert.simulation import kernels
from snnconvert.simulation.batching import check_kept_memory, count_samples, iterate_batches
from snnconvert.simulation.distributed import ReplicatedBatches, check_strategy
from snnconvert.simulation.encoding import PoissonInput, check_encoding
from snnconvert.simulation.events import (
    DENSE_ABOVE,
    KERNEL_EVENT_ADVANTAGE,
    can_project_into,
    constant_spike_events,
    emitted_before_and_after,
    fire_into,
    project_events,
)
from snnconvert.simulation.ops import OPS, STATEFUL_OPS
from snnconvert.simulation.populations import (
    advance_filtered_neurons,
    advance_neurons,
    advance_synapse,
    can_fuse,
    drive_function,
)
from snnconvert.simulation.signals import Signal
from snnconvert.simulation.state import INITIAL_STATES, initial_voltage
from snnconvert.simulation.windows import BatchStart, WindowCollector, window_bounds

# Above this many float32 values in the largest per-step tensor of one window, the
# window is split. 2**26 values (256 MiB) keeps a batch of 100 MNIST images through a
# 32-filter convolution in one 30-step window; fewer, longer windows are faster.
_CHUNK_BUDGET = 2**26
# Neuron updates are unrolled over a window's steps; longer windows only make bigger
# graphs to compile, so long runs are split at this length.
_MAX_WINDOW_STEPS = 100


class Simulator:
    """Runs a :class:`~snnconvert.ir.SpikingGraph` on batches of data.

    Args:
        graph: the spiking graph to simulate.
        dt: step length in seconds.
        initial_state: ``"uniform"`` (default), ``"half"`` or ``"zeros"`` (see
            :func:`~snnconvert.simulation.state.initial_voltage`).
        seed: seed of the generators behind ``initial_state="uniform"`` and Poisson input.
        input_encoding: how an input held constant over time is presented:
            ``"constant"`` (default) as the current itself at every step, or
            ``"poisson"`` as rate-coded spikes (values must be in ``[0, 1]``; see
            :mod:`snnconvert.simulation.encoding`). Inputs given over time are taken as
            they are in either case.
        max_rate: with ``"poisson"``, the firing rate in Hz of an input of value 1
            (default 1000); ``max_rate * dt`` must be <= 1.
        chunk_steps: steps per window; ``None`` picks the largest window that fits
            the memory budget.
        kernels: use snnconvert's compiled CPU kernels (see
            :mod:`snnconvert.simulation.kernels`) for the step-by-step update of spiking
            ReLU populations, low-pass synapses and the scattering of sparse spikes; they
            give the same spikes as the TensorFlow ops they replace, several times faster.
            Ignored when they cannot serve (a GPU, no C++ compiler).
        jit_compile: compile the closed-form spike computation of populations fed a
            constant current with XLA (fusing it into one pass over memory).
    """

    def __init__(self, graph, *, dt=0.001, initial_state="uniform", seed=0, chunk_steps=None,
                 jit_compile=True, input_encoding="constant", max_rate=None, kernels=True):
        self.graph = graph
        self.dt = check_positive_number("dt", dt)
        self.initial_state = check_choice("initial_state", initial_state, INITIAL_STATES)
        self.seed = check_positive_int("seed", seed, minimum=0)
        self.chunk_steps = None if chunk_steps is None else check_positive_int("chunk_steps", chunk_steps)
        self.jit_compile = bool(jit_compile)
        self.kernels = bool(kernels)
        self.input_encoding, self.max_rate = check_encoding(input_encoding, max_rate, self.dt)
        self._compiled = {}
        self._plans = {}
        self._replicated = {}  # strategy -> its ReplicatedBatches, keeping its compiled windows

    # ---------------------------------------------------------------- public API

    def run(self, inputs, n_steps, *, batch_size=100, probes=(), progress=True, strategy=None):
        """Simulate ``n_steps`` steps for every sample in ``inputs``.

        Args:
            inputs: an array (or a list, one per graph input) shaped ``[n, *shape]``
                for an input held constant over time, or ``[n, n_steps, *shape]``;
                or a ``tf.data.Dataset`` of such samples or batches.
            probes: names of nodes whose values over time are kept in the result.
            strategy: a ``tf.distribute.Strategy`` splitting each batch across its
                replicas (see :mod:`snnconvert.simulation.distributed`), or ``None``.

        Returns:
            a :class:`~snnconvert.metrics.results.SimulationResult`.

        The result keeps every output and probed value at every step: a run whose values
        would not fit in memory is refused before it starts (see
        :func:`~snnconvert.simulation.batching.check_kept_memory`).
        """
        n_steps = check_positive_int("n_steps", n_steps)
        probes = self._check_probes(probes)
        kept = [self.graph[name].size for name in (*self.graph.outputs, *probes)]
        check_kept_memory("run()", count_samples(inputs) or batch_size, n_steps, kept, probes=bool(probes))
        collected = ActivityCollector(self.graph, probes)
        batches = self.iterate(inputs, n_steps, batch_size=batch_size, probes=probes, progress=progress,
                               strategy=strategy)
        for batch in batches:
            collected.add(batch)
        return collected.result(n_steps, self.dt)

    def iterate(self, inputs, n_steps, *, labels=None, batch_size=100, probes=(), progress=True, strategy=None,
                outputs_to=None):
        """Simulate batch after batch, yielding a :class:`BatchResult` for each.

        Nothing is kept between batches, so memory does not grow with the dataset.
        Arguments are checked at the call, not at the first batch. With a
        ``strategy`` of several replicas, each batch is split across them and a
        batch's spikes come already summed (``BatchResult.counts``; ``activity`` is
        ``None``).

        ``outputs_to(labels, n_samples)``, if given, is called before each batch runs, with
        the batch's labels (``None`` when the data has none) and size, and returns a function
        that is handed that batch's outputs window by window (``{name: [batch, steps, ...]}``,
        in order); they are not kept, so memory stays bounded however many steps run, and
        ``BatchResult.outputs`` is empty.
        """
        n_steps = check_positive_int("n_steps", n_steps)
        batch_size = check_positive_int("batch_size", batch_size)
        run_batch = self._batch_runner(check_strategy(strategy))
        return self._iterate(inputs, n_steps, labels, batch_size, self._check_probes(probes), progress, run_batch,
                             outputs_to)

    def _iterate(self, inputs, n_steps, labels, batch_size, probes, progress, run_batch, outputs_to=None):
        first_sample = 0
        batches = iterate_batches(inputs, labels, self.graph.inputs, n_steps, batch_size)
        total = count_samples(inputs)
        with tqdm(total=total, desc="simulating", unit="img", disable=not progress, leave=False) as bar:
            for arrays, temporal, batch_labels in batches:
                sink = None if outputs_to is None else outputs_to(batch_labels, len(arrays[0]))
                simulated = run_batch(arrays, temporal, n_steps, probes, first_sample, sink)
                yield dataclasses.replace(simulated, labels=batch_labels, inputs=arrays)
                first_sample += len(arrays[0])
                bar.update(len(arrays[0]))

    def _batch_runner(self, strategy):
        """``run_batch(batch, temporal, n_steps, probes, first_sample, sink=None) -> BatchResult``:
        this simulator's own on one device, or that of a :class:`ReplicatedBatches` (kept, with
        its compiled windows) for a strategy of several replicas. With a ``sink``, outputs go to
        it window by window instead of into the result."""
        if strategy is None:
            return self._run_batch
        if strategy not in self._replicated:
            self._replicated[strategy] = ReplicatedBatches(self, strategy)
        return self._replicated[strategy].run_batch

    # ------------------------------------------------------------- batch runners

    def _run_batch(self, batch, temporal, n_steps, probes, first_sample, sink=None):
        started = self.start_batch(batch, temporal, first_sample, probes)
        neuron_states, node_states = started.neuron_states, started.node_states
        collected = WindowCollector(sink)
        for start, steps in self.windows(len(batch[0]), n_steps):
            step = self._compiled_window(steps, started.temporal, probes)
            outputs, activity, probed, neuron_states, node_states = step(
                started.window_inputs(start, steps), neuron_states, node_states
            )
            collected.add(outputs, activity, probed)
        return BatchResult(*collected.result())

    def _compiled_window(self, n_steps, temporal, probes):
        key = (n_steps, temporal, probes)
        if key not in self._compiled:
            # No autograph: the window has no tensor-dependent Python control flow, and
            # converting its source would cost seconds per simulator.
            self._compiled[key] = tf.function(self.window_function(n_steps, temporal, probes), autograph=False)
        return self._compiled[key]

    # ------------------------------------------------------- the window interface
    # All that a batch runner needs, this class's own (_run_batch) and the one splitting
    # batches across replicas (distributed.py), to simulate a batch window by window
    # (see snnconvert.simulation.windows).

    def start_batch(self, batch, temporal, first_sample, probes):
        """A :class:`BatchStart`: the states before the first step and the input sources of
        ``batch`` (one array per graph input, ``temporal[i]`` whether input ``i`` is given
        over time), whose first sample is sample ``first_sample`` of the data."""
        neuron_states, node_states = self._initial_states(len(batch[0]), first_sample, probes)
        sources, temporal = self._input_sources(batch, temporal, first_sample)
        return BatchStart(sources, temporal, neuron_states, node_states)

    def windows(self, batch_size, n_steps):
        """``[(start, steps)]``: the windows a batch of ``batch_size`` samples is simulated in."""
        if self.chunk_steps is not None:
            return window_bounds(min(self.chunk_steps, n_steps), n_steps)
        largest = max(node.size for node in self.graph)
        fitting = _CHUNK_BUDGET // max(1, batch_size * largest)
        return window_bounds(int(max(1, min(n_steps, _MAX_WINDOW_STEPS, fitting))), n_steps)

    def window_function(self, n_steps, temporal, probes):
        """The (not yet traced) simulation of one window of ``n_steps`` steps:
        ``(inputs, neuron_states, node_states) -> (outputs, activity, probed, neuron_states,
        node_states)``. ``inputs`` come from :meth:`BatchStart.window_inputs`, ``temporal`` is
        :attr:`BatchStart.temporal`; ``activity`` holds spikes per neuron ``[batch, ...]``
        over the window, outputs and probed values are ``[batch, n_steps, ...]``."""
        def window(inputs, neuron_states, node_states):
            return self._simulate_window(inputs, temporal, neuron_states, node_states, n_steps, probes)

        return window

    # ------------------------------------------- states, inputs, one window's graph

    def _plan(self, probes):
        """The graph actually simulated: synapses deferred past shrinking linear nodes,
        except around probed nodes, whose values must stay as converted."""
        if probes not in self._plans:
            self._plans[probes] = defer_synapses(self.graph, keep=probes)
        return self._plans[probes]

    def _initial_states(self, size, first_sample, probes):
        """``(neuron_states, node_states)`` before the first step of ``size`` samples, the
        first being sample ``first_sample`` of the data."""
        neuron_states, node_states = {}, {}
        for node in self._plan(probes):
            shape = (size, *node.shape)
            if isinstance(node, NeuronNode) and node.spiking:
                voltage = initial_voltage(self.initial_state, node.name, shape, first_sample, self.seed)
                neuron_states[node.name] = node.neuron_type.start(voltage)
            elif isinstance(node, SynapseNode):
                node_states[node.name] = tf.zeros(shape, tf.float32)
            elif type(node) in STATEFUL_OPS:
                # States of synapses and other stateful nodes, carried from window to window.
                node_states[node.name] = STATEFUL_OPS[type(node)].initial_state(node, size)
        return neuron_states, node_states

    def _input_sources(self, batch, temporal, first_sample):
        """``(sources, temporal)``: per input, its array, or for a Poisson-encoded constant
        input the :class:`PoissonInput` that makes its spikes window by window (never all
        steps at once); and whether each source varies over time."""
        if self.input_encoding == "constant":
            return list(batch), tuple(temporal)
        sources = [
            array if is_temporal else PoissonInput(array, node.name, first_sample, self.seed, self.max_rate, self.dt)
            for array, is_temporal, node in zip(batch, temporal, self.graph.inputs)
        ]
        return sources, tuple(isinstance(source, PoissonInput) or is_temporal
                              for source, is_temporal in zip(sources, temporal))

    def _simulate_window(self, inputs, temporal, neuron_states, node_states, n_steps, probes):
        graph = self._plan(probes)
        values = {}
        neuron_states, node_states = dict(neuron_states), dict(node_states)
        activity = {}
        input_values = iter(zip(inputs, temporal))
        projectable = _event_projections(graph, probes)
        deferred = {}  # population -> its constant input, computed with its consumer
        fusable = _fusable_synapses(graph, probes) if self.kernels else {}
        filtering = {}  # population -> its synapse and the synapse's input, run together
        absorbed = set()  # bias nodes that the fused kernel applies
        for node in graph:
            if isinstance(node, InputNode):
                tensor, is_temporal = next(input_values)
                values[node.name] = Signal(tf.cast(tensor, tf.float32), is_temporal)
            elif node.name in fusable and can_fuse(node, graph[fusable[node.name][1]], values[node.inputs[0]]):
                offset_name, population = fusable[node.name]
                filtering[population] = (node, values[node.inputs[0]], offset_name and graph[offset_name])
                absorbed.add(offset_name)
            elif node.name in absorbed:
                continue
            elif node.name in filtering:
                synapse, current, offset = filtering.pop(node.name)
                offset = None if offset is None else np.broadcast_to(offset.offset, node.shape)
                (values[node.name], activity[node.name], neuron_states[node.name],
                 node_states[synapse.name]) = advance_filtered_neurons(
                    synapse, node_states[synapse.name], node, current, neuron_states[node.name], n_steps, self.dt,
                    offset,
                )
            elif node.name in projectable and not values[node.inputs[0]].temporal:
                deferred[node.name] = values[node.inputs[0]]
            elif node.inputs and node.inputs[0] in deferred:
                population = graph[node.inputs[0]]
                values[node.name], activity[population.name], neuron_states[population.name] = (
                    self._fire_into(population, node, deferred.pop(population.name),
                                    neuron_states[population.name], n_steps)
                )
            elif isinstance(node, NeuronNode):
                values[node.name], activity[node.name], neuron_state = advance_neurons(
                    node, values[node.inputs[0]], neuron_states.get(node.name), n_steps, self.dt,
                    self.jit_compile, self.kernels,
                )
                if neuron_state is not None:
                    neuron_states[node.name] = neuron_state
            elif isinstance(node, SynapseNode):
                values[node.name], node_states[node.name] = advance_synapse(
                    node, values[node.inputs[0]], node_states[node.name], n_steps, self.dt, self.kernels
                )
            elif type(node) in STATEFUL_OPS:
                values[node.name], node_states[node.name] = STATEFUL_OPS[type(node)].advance(
                    node, [values[i] for i in node.inputs], node_states[node.name], n_steps, self.dt
                )
            else:
                values[node.name] = OPS[type(node)](node, [values[i] for i in node.inputs])
        # Outputs keep the names they have in the converted graph, whatever the plan did.
        outputs = {
            name: values[planned].expanded(n_steps)
            for name, planned in zip(self.graph.outputs, graph.outputs)
        }
        probed = {name: values[name].expanded(n_steps) for name in probes}
        return outputs, activity, probed, neuron_states, node_states

    def _fire_into(self, population, consumer, current, state, n_steps):
        """A population with constant input and the Dense/Conv2D it drives, together.

        Sparse spikes are scattered event by event into the consumer; dense ones take
        the tensor path. Both give the same spikes; the consumer's output is per step.
        """
        batch = tf.shape(current.tensor)[0]

        def flat(tensor):
            return tf.reshape(tensor, [batch, population.size])

        def unflat(tensor):
            return tf.reshape(tensor, tf.shape(state.voltage))

        increment = flat(drive_function(population.rectifier, population.gain)(current.tensor) * self.dt)
        flat_state = SpikingState(flat(state.voltage), flat(state.initial), state.elapsed)
        before, after = emitted_before_and_after(increment, flat_state, n_steps)
        slots = tf.cast(batch * n_steps * population.size, tf.float32)

        def scattered():
            spike_value = population.amplitude / self.dt
            if self.kernels and kernels.available():
                output, counts, new_state = fire_into(consumer, increment, flat_state, n_steps, before, after,
                                                      population.shape, spike_value)
            else:
                events, counts, new_state = constant_spike_events(increment, flat_state, n_steps, before, after)
                output = project_events(consumer, events, population.shape, batch, n_steps, spike_value)
            new_state = SpikingState(unflat(new_state.voltage), state.initial, new_state.elapsed)
            return output, unflat(counts), new_state

        def dense():
            # Spikes per step (from the same fused pass), so that the consumer's output
            # needs no differencing: a pass over a large tensor saved.
            spikes, counts, new_state = advance_neurons(
                population, current, state, n_steps, self.dt, self.jit_compile, self.kernels, per_step=True
            )
            return OPS[type(consumer)](consumer, [spikes]).per_step().tensor, counts, new_state

        spikes = tf.reduce_sum(after - before)
        dense_above = DENSE_ABOVE * (KERNEL_EVENT_ADVANTAGE if self.kernels and kernels.available() else 1)
        output, counts, new_state = tf.cond(spikes < dense_above * slots, scattered, dense)
        return Signal(output, temporal=True), counts, new_state

    # ---------------------------------------------------------------- validation

    def _check_probes(self, probes):
        if isinstance(probes, str):
            probes = (probes,)
        unknown = [name for name in probes if name not in self.graph.nodes]
        if unknown:
            raise ValueError(
                f"Cannot probe {unknown}: no such node. Known nodes: {list(self.graph.nodes)}."
            )
        return tuple(probes)


def _event_projections(graph, probes):
    """Spiking populations whose spikes can be scattered straight into the one Dense or
    Conv2D that reads them (if their input turns out to be constant)."""
    names = set()
    for node in graph.neuron_nodes:
        consumers = graph.consumers(node.name)
        if (
            isinstance(node.neuron_type, SpikingRectifiedLinear)  # the closed form is for ReLU
            and not node.rectifier.signed  # events carry positive spikes only
            and len(consumers) == 1
            and can_project_into(consumers[0], node.shape)
            and node.name not in probes
            and node.name not in graph.outputs
        ):
            names.add(node.name)
    return names


def _fusable_synapses(graph, probes):
    """Synapse -> ``(offset node or None, population)``: synapses that feed one spiking
    population, directly or through the bias node left behind when the synapse was moved
    (see :func:`~snnconvert.ir.defer_synapses`), with nothing else reading them. Whether
    they fuse is settled when the window is traced (see ``can_fuse``)."""
    def only_consumer(node):
        consumers = graph.consumers(node.name)
        hidden = node.name not in probes and node.name not in graph.outputs
        return consumers[0] if hidden and len(consumers) == 1 else None

    chains = {}
    for node in graph:
        after = only_consumer(node) if isinstance(node, SynapseNode) else None
        offset = None
        if isinstance(after, AffineNode) and np.all(after.scale == 1):
            offset, after = after, only_consumer(after)
        if isinstance(after, NeuronNode) and after.spiking:
            chains[node.name] = (offset and offset.name, after.name)
    return chains
