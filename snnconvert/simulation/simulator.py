"""Batched, time-parallel simulation of a spiking graph in TensorFlow.

The graph is feed-forward, so each window ("chunk") of steps is computed layer by
layer: every linear node runs once over ``batch * steps`` samples and every neuron
population integrates the whole window with a cumulative sum (see
:mod:`snnconvert.neurons`). Membrane voltages and synapse states are carried from one
chunk to the next, which bounds memory for long simulations without changing a
single spike.
"""

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from snnconvert._validation import (
    check_choice,
    check_finite_array,
    check_positive_int,
    check_positive_number,
)
from snnconvert.ir import InputNode, NeuronNode, SynapseNode, defer_synapses
from snnconvert.metrics.results import PopulationActivity, SimulationResult
from snnconvert.simulation.layers import LINEAR_OPS
from snnconvert.simulation.populations import advance_neurons, advance_synapse
from snnconvert.simulation.signals import Signal
from snnconvert.simulation.state import INITIAL_STATES, initial_voltage

# Above this many float32 values in the largest per-step tensor of one window, the
# window is split. 2**26 values (256 MiB) keeps a batch of 100 MNIST images through a
# 32-filter convolution in one 30-step window; fewer, longer windows are faster.
_CHUNK_BUDGET = 2**26


class Simulator:
    """Runs a :class:`~snnconvert.ir.SpikingGraph` on batches of data.

    Args:
        graph: the spiking graph to simulate.
        dt: step length in seconds.
        initial_state: ``"half"``, ``"zeros"`` or ``"uniform"`` (see
            :func:`~snnconvert.simulation.state.initial_voltage`).
        seed: seed of the generator behind ``initial_state="uniform"``.
        chunk_steps: steps per window; ``None`` picks the largest window that fits
            the memory budget.
        jit_compile: compile each window with XLA.
    """

    def __init__(self, graph, *, dt=0.001, initial_state="half", seed=0, chunk_steps=None,
                 jit_compile=False):
        self.graph = graph
        self.dt = check_positive_number("dt", dt)
        self.initial_state = check_choice("initial_state", initial_state, INITIAL_STATES)
        self.seed = seed
        self.chunk_steps = None if chunk_steps is None else check_positive_int("chunk_steps", chunk_steps)
        self.jit_compile = bool(jit_compile)
        self._compiled = {}
        self._plans = {}

    # ---------------------------------------------------------------- public API

    def run(self, inputs, n_steps, *, batch_size=100, probes=(), progress=True):
        """Simulate ``n_steps`` steps for every sample in ``inputs``.

        Args:
            inputs: an array (or a list, one per graph input) shaped ``[n, *shape]``
                for an input held constant over time, or ``[n, n_steps, *shape]``.
            probes: names of nodes whose values over time are kept in the result.

        Returns:
            a :class:`~snnconvert.metrics.results.SimulationResult`.
        """
        n_steps = check_positive_int("n_steps", n_steps)
        batch_size = check_positive_int("batch_size", batch_size)
        arrays, temporal = self._check_inputs(inputs, n_steps)
        probes = self._check_probes(probes)
        n_samples = len(arrays[0])
        rng = np.random.default_rng(self.seed)
        collected = _Collector(self.graph, probes)
        bar = tqdm(total=n_samples, desc="simulating", unit="img", disable=not progress, leave=False)
        with bar:
            for start in range(0, n_samples, batch_size):
                batch = [array[start:start + batch_size] for array in arrays]
                collected.add(self._run_batch(batch, temporal, n_steps, probes, rng))
                bar.update(len(batch[0]))
        return collected.result(n_steps, self.dt)

    # ------------------------------------------------------------ batch handling

    def _plan(self, probes):
        """The graph actually simulated: synapses deferred past shrinking linear nodes,
        except around probed nodes, whose values must stay as converted."""
        if probes not in self._plans:
            self._plans[probes] = defer_synapses(self.graph, keep=probes)
        return self._plans[probes]

    def _run_batch(self, batch, temporal, n_steps, probes, rng):
        size = len(batch[0])
        voltages, synapses = {}, {}
        for node in self._plan(probes):
            shape = (size, *node.shape)
            if isinstance(node, NeuronNode) and node.spiking:
                voltages[node.name] = tf.constant(initial_voltage(self.initial_state, shape, rng))
            elif isinstance(node, SynapseNode):
                synapses[node.name] = tf.zeros(shape, tf.float32)
        window = self._window(size, n_steps)
        pieces = []
        for start in range(0, n_steps, window):
            steps = min(window, n_steps - start)
            chunk_inputs = tuple(
                tf.constant(array[:, start:start + steps] if is_temporal else array)
                for array, is_temporal in zip(batch, temporal)
            )
            step = self._compiled_window(steps, tuple(temporal), probes)
            outputs, activity, probed, voltages, synapses = step(chunk_inputs, voltages, synapses)
            pieces.append((outputs, activity, probed))
        return _merge_windows(pieces)

    def _window(self, batch_size, n_steps):
        if self.chunk_steps is not None:
            return min(self.chunk_steps, n_steps)
        largest = max(node.size for node in self.graph)
        return int(max(1, min(n_steps, _CHUNK_BUDGET // max(1, batch_size * largest))))

    def _compiled_window(self, n_steps, temporal, probes):
        key = (n_steps, temporal, probes)
        if key not in self._compiled:
            def window(inputs, voltages, synapses):
                return self._simulate_window(inputs, temporal, voltages, synapses, n_steps, probes)

            self._compiled[key] = tf.function(window, jit_compile=self.jit_compile,
                                              reduce_retracing=True)
        return self._compiled[key]

    def _simulate_window(self, inputs, temporal, voltages, synapses, n_steps, probes):
        graph = self._plan(probes)
        values = {}
        voltages, synapses = dict(voltages), dict(synapses)
        activity = {}
        input_values = iter(zip(inputs, temporal))
        for node in graph:
            if isinstance(node, InputNode):
                tensor, is_temporal = next(input_values)
                values[node.name] = Signal(tf.cast(tensor, tf.float32), is_temporal)
            elif isinstance(node, NeuronNode):
                values[node.name], activity[node.name], voltage = advance_neurons(
                    node, values[node.inputs[0]], voltages.get(node.name), n_steps, self.dt
                )
                if voltage is not None:
                    voltages[node.name] = voltage
            elif isinstance(node, SynapseNode):
                values[node.name], synapses[node.name] = advance_synapse(
                    node, values[node.inputs[0]], synapses[node.name], n_steps, self.dt
                )
            else:
                values[node.name] = LINEAR_OPS[type(node)](node, [values[i] for i in node.inputs])
        # Outputs keep the names they have in the converted graph, whatever the plan did.
        outputs = {
            name: values[planned].expanded(n_steps)
            for name, planned in zip(self.graph.outputs, graph.outputs)
        }
        probed = {name: values[name].expanded(n_steps) for name in probes}
        return outputs, activity, probed, voltages, synapses

    # ---------------------------------------------------------------- validation

    def _check_inputs(self, inputs, n_steps):
        input_nodes = self.graph.inputs
        arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(arrays) != len(input_nodes):
            raise ValueError(
                f"The network has {len(input_nodes)} input(s) "
                f"({', '.join(n.name for n in input_nodes)}) but received {len(arrays)} array(s)."
            )
        checked, temporal = [], []
        for array, node in zip(arrays, input_nodes):
            array = check_finite_array(f"input {node.name!r}", np.asarray(array, dtype=np.float32))
            if array.shape[1:] == node.shape:
                is_temporal = False
            elif array.shape[2:] == node.shape and array.ndim >= 2:
                if array.shape[1] != n_steps:
                    raise ValueError(
                        f"Input {node.name!r} varies over {array.shape[1]} steps but "
                        f"n_steps={n_steps}; pass n_steps={array.shape[1]} or trim the input."
                    )
                is_temporal = True
            else:
                raise ValueError(
                    f"Input {node.name!r} expects samples of shape {node.shape} (or "
                    f"[n, n_steps, *{node.shape}] over time). Received an array of shape "
                    f"{array.shape}. Reshape or preprocess the data to match the model."
                )
            checked.append(array)
            temporal.append(is_temporal)
        lengths = {len(array) for array in checked}
        if len(lengths) > 1:
            raise ValueError(f"All inputs must hold the same number of samples. Received {sorted(lengths)}.")
        if not lengths or lengths == {0}:
            raise ValueError("No samples to simulate: the input is empty.")
        return checked, temporal

    def _check_probes(self, probes):
        if isinstance(probes, str):
            probes = (probes,)
        unknown = [name for name in probes if name not in self.graph.nodes]
        if unknown:
            raise ValueError(
                f"Cannot probe {unknown}: no such node. Known nodes: {list(self.graph.nodes)}."
            )
        return tuple(probes)


def _merge_windows(pieces):
    """Join the per-window results of one batch along time (activity is summed)."""
    outputs = {name: np.concatenate([p[0][name].numpy() for p in pieces], axis=1) for name in pieces[0][0]}
    activity = {}
    for piece in pieces:
        for name, counted in piece[1].items():
            counted = counted.numpy().astype(np.float64)
            activity[name] = activity[name] + counted if name in activity else counted
    probed = {name: np.concatenate([p[2][name].numpy() for p in pieces], axis=1) for name in pieces[0][2]}
    return outputs, activity, probed


class _Collector:
    """Accumulates batch results into dataset-level arrays and spike statistics."""

    def __init__(self, graph, probes):
        self.graph = graph
        self.outputs = {name: [] for name in graph.outputs}
        self.probes = {name: [] for name in probes}
        self.per_image = {node.name: [] for node in graph.neuron_nodes}
        self.per_neuron = {node.name: np.zeros(node.size, np.float64) for node in graph.neuron_nodes}

    def add(self, batch_result):
        outputs, activity, probed = batch_result
        for name, value in outputs.items():
            self.outputs[name].append(value)
        for name, value in probed.items():
            self.probes[name].append(value)
        for name, value in activity.items():
            flat = value.reshape(len(value), -1)
            self.per_image[name].append(flat.sum(axis=1))
            self.per_neuron[name] += flat.sum(axis=0)

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
            outputs={name: np.concatenate(parts) for name, parts in self.outputs.items()},
            activity=activity,
            probes={name: np.concatenate(parts) for name, parts in self.probes.items()},
            n_steps=n_steps,
            dt=dt,
        )
