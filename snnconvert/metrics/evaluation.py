"""Classification accuracy of a simulated network, beside the original Keras model's."""

import dataclasses
from typing import Any

import numpy as np

from snnconvert._validation import check_choice, check_positive_int, check_positive_number
from snnconvert.metrics.readouts import READOUTS, Readout, accuracy_over_time, readout_predictions, readout_scores
from snnconvert.metrics.results import PopulationActivity, SimulationResult
from snnconvert.metrics.tables import format_activity_table
from snnconvert.simulation.batching import check_memory

__all__ = ["READOUTS", "AccuracyTally", "EvaluationResult", "accuracy_over_time", "as_labels", "readout_predictions",
           "readout_scores", "time_to_accuracy"]


def as_labels(labels: Any, n_samples: int, n_classes: int | None = None) -> np.ndarray:
    """Integer class labels from integer or one-hot ``labels``, checked.

    Labels must be whole numbers in ``[0, n_classes)``, or one-hot rows: anything else
    would make every accuracy silently wrong.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        one_hot = np.all(np.isin(labels, (0, 1))) and np.all(labels.sum(axis=1) == 1)
        if not one_hot:
            raise ValueError(
                f"Labels of shape {labels.shape} are not one-hot rows; pass integer class "
                "labels of shape [n] or one-hot rows of shape [n, classes]."
            )
        if n_classes is not None and labels.shape[1] != n_classes:
            raise ValueError(
                f"One-hot labels have {labels.shape[1]} columns but the network has {n_classes} "
                "outputs (classes): each row needs one column per class. Pass labels one-hot "
                f"encoded over {n_classes} classes, or integer class labels of shape [n]."
            )
        labels = labels.argmax(axis=1)
    labels = labels.reshape(-1)
    if len(labels) != n_samples:
        raise ValueError(f"Received {len(labels)} labels for {n_samples} samples.")
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        raise ValueError("Labels must be whole class numbers; received non-integer values.")
    labels = labels.astype(np.int64)
    if n_classes is not None and len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"Labels must lie in [0, {n_classes}) for a network with {n_classes} outputs. "
            f"Received labels from {labels.min()} to {labels.max()}."
        )
    return labels


def time_to_accuracy(accuracy_per_step: Any, tolerance: float = 0.005) -> int:
    """The first step (counted from 1) from which accuracy stays within ``tolerance`` of
    its final value until the end of the run."""
    accuracy_per_step = np.asarray(accuracy_per_step)
    outside = np.abs(accuracy_per_step - accuracy_per_step[-1]) > tolerance
    last_outside = np.flatnonzero(outside)
    return int(last_outside[-1]) + 2 if len(last_outside) else 1


# Bytes an evaluation holds per step whatever the batch: the correct predictions and the
# accuracy at each step, their copies while the result is made, and in its report (to_dict)
# one Python float each.
BYTES_PER_STEP = 64


def check_evaluation_memory(n_steps: int, batch_size: int, n_classes: int, readout: str = "last",
                            readout_steps: int = 1, limit: int | None = None) -> None:
    """Refuse, before anything runs, an evaluation whose state would not fit in memory: its
    per-step accuracies, and for ``readout="mean"`` the running sums of the last
    ``readout_steps`` steps of a batch. Outputs over time are never all kept, so nothing
    else grows with ``n_steps``."""
    needed = BYTES_PER_STEP * n_steps
    if readout == "mean":
        needed += 3 * 8 * batch_size * readout_steps * n_classes
    check_memory(
        f"An evaluation over {n_steps:,} steps would hold its accuracy at each step"
        + (f" and a batch's readout over {readout_steps:,} steps" if readout == "mean" else ""),
        needed,
        "Lower n_steps" + (", readout_steps or batch_size" if readout == "mean" else "") + ".",
        limit,
    )


class AccuracyTally:
    """Counts correct predictions batch by batch, and within a batch window by window, so
    no outputs over time need to be kept: only the count of correct ones at each step."""

    def __init__(self, readout: str = "last", readout_steps: int = 1, readout_tau: float = 0.01,
                 dt: float = 0.001) -> None:
        check_choice("readout", readout, READOUTS)
        self.readout, self.readout_steps = readout, check_positive_int("readout_steps", readout_steps)
        self.readout_tau, self.dt = check_positive_number("readout_tau", readout_tau), dt
        self.n_samples = 0
        # Sized by the first batch's number of steps.
        self.correct_per_step: np.ndarray | None = None
        self.keras_correct = 0
        self.keras_samples = 0

    def check_steps(self, n_steps: int) -> None:
        if self.readout == "mean" and self.readout_steps > n_steps:
            raise ValueError(
                f"`readout_steps` ({self.readout_steps}) exceeds n_steps ({n_steps}); "
                "average over at most the simulated steps."
            )

    def batch(self, labels: Any, n_samples: int, n_classes: int, n_steps: int) -> "BatchTally":
        """A :class:`BatchTally` for the next batch, whose outputs it is then fed window by
        window; ``labels`` are checked first (see :func:`as_labels`)."""
        self.check_steps(n_steps)
        labels = as_labels(labels, n_samples, n_classes)
        if self.correct_per_step is None:
            self.correct_per_step = np.zeros(n_steps)
        elif len(self.correct_per_step) != n_steps:
            raise ValueError(f"Every batch must run the same number of steps; received {n_steps} after "
                             f"{len(self.correct_per_step)}.")
        self.n_samples += len(labels)
        return BatchTally(self, labels)

    def add(self, outputs: np.ndarray, labels: Any, keras_scores: Any = None) -> None:
        """Tally one batch's outputs over the whole run ``[n, steps, ...]`` at once."""
        tally = self.batch(labels, len(outputs), int(np.prod(outputs.shape[2:])), outputs.shape[1])
        tally(outputs)
        if keras_scores is not None:
            self.add_keras(keras_scores, tally.labels)

    def add_keras(self, keras_scores: Any, labels: np.ndarray) -> None:
        """Count the Keras model's correct predictions, ``keras_scores`` ``[n, ...]``, on
        checked integer ``labels``."""
        predicted = np.asarray(keras_scores).reshape(len(labels), -1).argmax(axis=1)
        self.keras_correct += int(np.sum(predicted == labels))
        self.keras_samples += len(labels)

    @property
    def accuracy(self) -> float:
        return float(self.accuracy_per_step[-1])

    @property
    def accuracy_per_step(self) -> np.ndarray:
        if self.correct_per_step is None:
            raise ValueError("Nothing was evaluated: the data held no samples. Pass at least one (x, y) sample.")
        return self.correct_per_step / self.n_samples

    @property
    def keras_accuracy(self) -> float | None:
        return self.keras_correct / self.keras_samples if self.keras_samples else None


class BatchTally:
    """One batch's part of an :class:`AccuracyTally`: called with each window's outputs
    ``[n, steps, ...]`` in order, it adds their correct predictions at those steps."""

    def __init__(self, tally: AccuracyTally, labels: np.ndarray) -> None:
        assert tally.correct_per_step is not None, "made by AccuracyTally.batch, which sizes the counts"
        self.tally, self.labels, self.correct_per_step = tally, labels, tally.correct_per_step
        self.readout = Readout(tally.readout, tally.readout_steps, tally.readout_tau, tally.dt)

    def __call__(self, outputs: np.ndarray) -> None:
        start = self.readout.steps_done
        scores = self.readout.scores(outputs)
        correct = accuracy_over_time(scores, self.labels) * len(self.labels)
        self.correct_per_step[start:start + len(correct)] += correct


@dataclasses.dataclass
class EvaluationResult:
    """Accuracy and spike statistics of one evaluation.

    Attributes:
        accuracy: accuracy of the chosen readout at the end of the run.
        accuracy_per_step: accuracy of the same readout at each step.
        keras_accuracy: the original Keras model's accuracy on the same data
            (``None`` when the network has no Keras model attached).
        simulation: the full :class:`~snnconvert.metrics.SimulationResult`.
    """

    accuracy: float
    accuracy_per_step: np.ndarray
    keras_accuracy: float | None
    readout: str
    readout_steps: int
    simulation: SimulationResult
    readout_tau: float = 0.01

    def time_to_accuracy(self, tolerance: float = 0.005) -> int:
        """The first step from which accuracy stays within ``tolerance`` (a fraction,
        0.005 = half a point) of the final accuracy; see :func:`time_to_accuracy`."""
        return time_to_accuracy(self.accuracy_per_step, tolerance)

    @property
    def spikes_per_layer(self) -> dict[str, int | float]:
        return self.simulation.spikes_per_layer

    @property
    def activity(self) -> dict[str, PopulationActivity]:
        return self.simulation.activity

    @property
    def total_spikes(self) -> int | float:
        return self.simulation.total_spikes

    @property
    def spikes_per_image(self) -> float:
        return self.total_spikes / self.simulation.n_images

    def summary(self) -> str:
        """A plain-text report: accuracies, then one row per neuron population."""
        lines = [
            f"images: {self.simulation.n_images}   steps: {self.simulation.n_steps}   "
            f"dt: {self.simulation.dt:g} s   readout: {self._readout_label()}",
            f"snn accuracy: {self.accuracy:.4f}"
            + ("" if self.keras_accuracy is None else f"   keras accuracy: {self.keras_accuracy:.4f}")
            + f"   (within 0.5 points of its final value from step {self.time_to_accuracy()} on)",
            "",
        ]
        # Rows by the names ``activity`` is keyed on: a layer's own, or its node's when it has several.
        lines.extend(format_activity_table({**a.to_dict(), "layer": name} for name, a in self.activity.items()))
        return "\n".join(lines)

    def _readout_label(self) -> str:
        if self.readout == "last":
            return "last step"
        if self.readout == "filtered":
            return f"low-pass filtered, tau {self.readout_tau:g} s"
        return f"mean of last {self.readout_steps} steps"

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "keras_accuracy": self.keras_accuracy,
            "readout": self.readout,
            "readout_steps": self.readout_steps,
            "readout_tau": self.readout_tau,
            "time_to_accuracy_steps": self.time_to_accuracy(),
            "n_images": self.simulation.n_images,
            "n_steps": self.simulation.n_steps,
            "dt": self.simulation.dt,
            "accuracy_per_step": [float(a) for a in self.accuracy_per_step],
            "total_spikes": self.total_spikes,
            "spikes_per_image": self.spikes_per_image,
            "layers": {name: a.to_dict() for name, a in self.activity.items()},
        }
