"""``SpikingNetwork``: a converted network, ready to run and evaluate."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from snnconvert._tables import format_table
from snnconvert._validation import check_positive_int
from snnconvert.ir import NonSpikingActivationNode, NonSpikingLayerNode, SpikingGraph
from snnconvert.metrics.collection import ActivityCollector
from snnconvert.metrics.evaluation import AccuracyTally, EvaluationResult, as_labels, check_evaluation_memory
from snnconvert.metrics.results import SimulationResult
from snnconvert.simulation import Simulator
from snnconvert.simulation.batching import check_kept_memory, count_samples


class SpikingNetwork:
    """A spiking graph plus the Keras model it came from.

    Attributes:
        graph: the backend-neutral :class:`~snnconvert.ir.SpikingGraph`.
        keras_model: the original model (used as the accuracy reference), or ``None``.
        notes: remarks made during conversion (e.g. a dropped output softmax).
    """

    def __init__(self, graph: SpikingGraph, keras_model: Any = None, notes: Iterable[str] = ()) -> None:
        self.graph = graph
        self.keras_model = keras_model
        self.notes = list(notes)
        self._simulators: dict[tuple[Any, ...], Simulator] = {}

    def simulator(self, *, dt: float = 0.001, initial_state: str = "uniform", seed: int = 0,
                  chunk_steps: int | None = None, jit_compile: bool = True, input_encoding: str = "constant",
                  max_rate: float | None = None, kernels: bool = True) -> Simulator:
        """The (cached) :class:`~snnconvert.simulation.Simulator` for these settings."""
        key = (dt, initial_state, seed, chunk_steps, jit_compile, input_encoding, max_rate, kernels)
        if key not in self._simulators:
            self._simulators[key] = Simulator(
                self.graph, dt=dt, initial_state=initial_state, seed=seed,
                chunk_steps=chunk_steps, jit_compile=jit_compile, input_encoding=input_encoding,
                max_rate=max_rate, kernels=kernels,
            )
        return self._simulators[key]

    def run(self, x: Any, n_steps: int = 30, *, batch_size: int = 100, probes: Sequence[str] = (),
            progress: bool = True, strategy: Any = None, **simulator_options: Any) -> SimulationResult:
        """Simulate ``x`` for ``n_steps`` steps; returns a
        :class:`~snnconvert.metrics.SimulationResult`.

        ``strategy`` (a ``tf.distribute.Strategy``) splits each batch across its
        replicas, as in :meth:`evaluate`.

        ``simulator_options`` are ``dt`` (0.001 s), ``initial_state`` ("uniform"),
        ``seed``, ``chunk_steps``, ``jit_compile``, ``kernels`` (True: compiled CPU kernels),
        ``input_encoding`` ("constant", or
        "poisson" for rate-coded input spikes from values in [0, 1]) and ``max_rate``
        (Hz of a Poisson input of value 1, default 1000); see :class:`Simulator`.
        """
        simulator = self.simulator(**simulator_options)
        return simulator.run(x, n_steps, batch_size=batch_size, probes=probes, progress=progress, strategy=strategy)

    def predict(self, x: Any, n_steps: int = 30, **options: Any) -> np.ndarray:
        """The output over time, ``[n, n_steps, ...]`` (single-output networks)."""
        return self.run(x, n_steps, **options).output

    def evaluate(self, x: Any, y: Any = None, n_steps: int = 30, *, batch_size: int = 100, readout: str = "last",
                 readout_steps: int = 10, readout_tau: float = 0.01, compare_keras: bool = True,
                 keep_outputs: bool = False, progress: bool = True, strategy: Any = None,
                 **simulator_options: Any) -> EvaluationResult:
        """Classification accuracy of the spiking network, with spike statistics.

        Data is streamed batch by batch, and each batch's outputs window by window into
        the accuracy tally: memory grows neither with the dataset nor with batch x
        n_steps (only the accuracy at each step is kept). An evaluation that would not
        fit in memory (see ``keep_outputs``) is refused before it starts.

        Args:
            x: inputs as for :meth:`run`, or a ``tf.data.Dataset`` of ``(x, y)``.
            y: integer or one-hot labels (``None`` when ``x`` is a dataset).
            readout: what the class is read from (its argmax), at the last step:
                ``"last"`` (default) the output itself, which with a synapse on the
                last population is already filtered and matches NengoDL's usual
                readout; ``"mean"`` its mean over the last ``readout_steps`` steps, an
                integrating readout for networks without a synapse; ``"filtered"`` the
                output low-pass filtered with time constant ``readout_tau`` seconds.
                ``result.accuracy_per_step`` applies the same readout at every step.
            compare_keras: also compute the original Keras model's accuracy (on the
                inputs as given: with ``input_encoding="poisson"`` the mean of the spikes).
            keep_outputs: keep every output over time in ``result.simulation`` (memory
                grows with samples x n_steps x classes).
            strategy: a ``tf.distribute.Strategy`` (``MirroredStrategy`` for several
                GPUs, ``MultiWorkerMirroredStrategy`` for several machines): each batch
                of ``batch_size`` samples is split across its replicas, and spike counts
                and outputs are combined by its collectives. The result equals that of
                one device, and with several workers every worker returns all of it
                (docs/distributed.md). ``None`` (default) or one replica: one device.

        Returns:
            an :class:`~snnconvert.metrics.EvaluationResult`.
        """
        n_steps, batch_size = self._check_evaluation(x, y, n_steps, batch_size)
        simulator = self.simulator(**simulator_options)
        tally = AccuracyTally(readout, readout_steps, readout_tau, simulator.dt)
        tally.check_steps(n_steps)  # before any batch is simulated
        n_classes = self.graph[self.graph.outputs[0]].size
        check_evaluation_memory(n_steps, batch_size, n_classes, readout, readout_steps)
        if keep_outputs:
            check_kept_memory("evaluate(keep_outputs=True)", count_samples(x) or batch_size, n_steps, [n_classes])
        batches = simulator.iterate(x, n_steps, labels=y, batch_size=batch_size, progress=progress, strategy=strategy,
                                    outputs_to=None if keep_outputs else _tally_outputs(tally, n_classes, n_steps))
        collector = self._collect(batches, tally, n_classes, n_steps, keep_outputs=keep_outputs,
                                  compare_keras=compare_keras and self.keras_model is not None)
        return EvaluationResult(
            accuracy=tally.accuracy,
            accuracy_per_step=tally.accuracy_per_step,
            keras_accuracy=tally.keras_accuracy,
            readout=tally.readout,
            readout_steps=tally.readout_steps,
            readout_tau=tally.readout_tau,
            simulation=collector.result(n_steps, simulator.dt),
        )

    def _check_evaluation(self, x: Any, y: Any, n_steps: int, batch_size: int) -> tuple[int, int]:
        """``(n_steps, batch_size)`` checked, once the data and network suit an evaluation."""
        if y is None and not isinstance(x, tf.data.Dataset):
            raise ValueError("`y` (the labels) is required unless `x` is a tf.data.Dataset of (x, y).")
        if len(self.graph.outputs) != 1:
            raise ValueError(f"evaluate needs a single-output network; this one has {self.graph.outputs}.")
        return check_positive_int("n_steps", n_steps), check_positive_int("batch_size", batch_size)

    def _collect(self, batches: Iterable[Any], tally: AccuracyTally, n_classes: int, n_steps: int, *,
                 keep_outputs: bool, compare_keras: bool) -> ActivityCollector:
        """Spike statistics of every simulated batch, tallying kept outputs and the Keras model's scores."""
        collector = ActivityCollector(self.graph, probes=())
        for batch in batches:
            if keep_outputs:
                _tally_outputs(tally, n_classes, n_steps)(batch.labels, batch.size)(batch.outputs)
            if compare_keras:
                keras_scores = self._keras_scores(batch)
                if keras_scores is not None:
                    tally.add_keras(keras_scores, as_labels(batch.labels, batch.size))
            collector.add(batch, keep_outputs=keep_outputs)
        return collector

    def _keras_scores(self, batch: Any) -> np.ndarray | None:
        inputs = batch.inputs
        if any(x.shape[1:] != node.shape for x, node in zip(inputs, self.graph.inputs)):
            return None  # an input varies over time; the ANN has no equivalent
        return np.asarray(self.keras_model(inputs if len(inputs) > 1 else inputs[0], training=False))

    @property
    def non_spiking_layers(self) -> list[str]:
        """Names of the nodes that run as non-spiking rate layers (allowed by ``non_spiking``)."""
        return [node.name for node in self.graph if isinstance(node, (NonSpikingActivationNode, NonSpikingLayerNode))]

    def summary(self) -> str:
        """One row per node of the spiking graph: what it is and where it came from."""
        header = ("node", "kind", "from layer", "shape", "details")
        rows = [
            (node.name, node.kind, node.source, "x".join(map(str, node.shape)), node.describe())
            for node in self.graph
        ]
        return "\n".join(format_table(header, rows) + [f"note: {note}" for note in self.notes])

    def __repr__(self) -> str:
        return f"<SpikingNetwork {self.graph!r}>"


def _tally_outputs(tally: AccuracyTally, n_classes: int,
                   n_steps: int) -> Callable[[Any, int], Callable[[dict[str, Any]], None]]:
    """For ``Simulator.iterate``'s ``outputs_to``: per batch, where its outputs go (into ``tally``,
    window by window as they come, so none are kept over the run)."""

    def tally_batch(labels: Any, size: int) -> Callable[[dict[str, Any]], None]:
        if labels is None:
            raise ValueError("The dataset yields no labels; make its elements (x, y) pairs.")
        add = tally.batch(labels, size, n_classes, n_steps)
        return lambda outputs: add(next(iter(outputs.values())))

    return tally_batch
