"""``SpikingNetwork``: a converted network, ready to run and evaluate."""

import numpy as np

from snnconvert.metrics.evaluation import (
    EvaluationResult,
    accuracy_over_time,
    as_labels,
    format_table,
    readout_predictions,
)
from snnconvert.simulation import Simulator


class SpikingNetwork:
    """A spiking graph plus the Keras model it came from.

    Attributes:
        graph: the backend-neutral :class:`~snnconvert.ir.SpikingGraph`.
        keras_model: the original model (used as the accuracy reference), or ``None``.
        notes: remarks made during conversion (e.g. a dropped output softmax).
    """

    def __init__(self, graph, keras_model=None, notes=()):
        self.graph = graph
        self.keras_model = keras_model
        self.notes = list(notes)
        self._simulators = {}

    def simulator(self, *, dt=0.001, initial_state="half", seed=0, chunk_steps=None, jit_compile=False):
        """The (cached) :class:`~snnconvert.simulation.Simulator` for these settings."""
        key = (dt, initial_state, seed, chunk_steps, jit_compile)
        if key not in self._simulators:
            self._simulators[key] = Simulator(
                self.graph, dt=dt, initial_state=initial_state, seed=seed,
                chunk_steps=chunk_steps, jit_compile=jit_compile,
            )
        return self._simulators[key]

    def run(self, x, n_steps=30, *, batch_size=100, probes=(), progress=True, **simulator_options):
        """Simulate ``x`` for ``n_steps`` steps; returns a
        :class:`~snnconvert.metrics.SimulationResult`.

        ``simulator_options`` are ``dt`` (0.001 s), ``initial_state`` ("half"),
        ``seed``, ``chunk_steps`` and ``jit_compile`` (see :class:`Simulator`).
        """
        simulator = self.simulator(**simulator_options)
        return simulator.run(x, n_steps, batch_size=batch_size, probes=probes, progress=progress)

    def predict(self, x, n_steps=30, **options):
        """The output over time, ``[n, n_steps, ...]`` (single-output networks)."""
        return self.run(x, n_steps, **options).output

    def evaluate(self, x, y, n_steps=30, *, batch_size=100, readout="last", readout_steps=10,
                 compare_keras=True, progress=True, **simulator_options):
        """Classification accuracy of the spiking network, with spike statistics.

        Args:
            x: inputs as for :meth:`run`; ``y``: integer or one-hot labels.
            readout: ``"last"`` (argmax of the output at the last step) or ``"mean"``
                (argmax of the mean over the last ``readout_steps`` steps).
            compare_keras: also compute the original Keras model's accuracy.

        Returns:
            an :class:`~snnconvert.metrics.EvaluationResult`.
        """
        simulation = self.run(x, n_steps, batch_size=batch_size, progress=progress, **simulator_options)
        outputs = simulation.output
        labels = as_labels(y, len(outputs))
        predicted = readout_predictions(outputs, readout, readout_steps)
        keras_accuracy = None
        if compare_keras and self.keras_model is not None and len(self.graph.outputs) == 1:
            keras_accuracy = self._keras_accuracy(x, labels, batch_size)
        return EvaluationResult(
            accuracy=float(np.mean(predicted == labels)),
            accuracy_per_step=accuracy_over_time(outputs, labels),
            keras_accuracy=keras_accuracy,
            readout=readout,
            readout_steps=readout_steps,
            simulation=simulation,
        )

    def _keras_accuracy(self, x, labels, batch_size):
        x = np.asarray(x, dtype=np.float32)
        if x.shape[1:] != self.graph.inputs[0].shape:
            return None  # input varies over time; Keras has no equivalent
        scores = self.keras_model.predict(x, batch_size=batch_size, verbose=0)
        return float(np.mean(scores.reshape(len(scores), -1).argmax(axis=1) == labels))

    def summary(self):
        """One row per node of the spiking graph: what it is and where it came from."""
        header = ("node", "kind", "from layer", "shape", "details")
        rows = [
            (node.name, node.kind, node.source, "x".join(map(str, node.shape)), node.describe())
            for node in self.graph
        ]
        return "\n".join(format_table(header, rows) + [f"note: {note}" for note in self.notes])

    def __repr__(self):
        return f"<SpikingNetwork {self.graph!r}>"
