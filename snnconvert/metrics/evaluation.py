"""Classification accuracy of a simulated network, beside the original Keras model's."""

import dataclasses

import numpy as np

from snnconvert._tables import format_table
from snnconvert._validation import check_choice, check_positive_int

READOUTS = ("last", "mean")


def as_labels(labels, n_samples, n_classes=None):
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


def readout_predictions(outputs, readout="last", readout_steps=1):
    """Predicted classes from outputs over time ``[n, steps, classes]``.

    ``"last"`` takes the output at the final step; ``"mean"`` averages the last
    ``readout_steps`` steps first, which smooths spike noise when there is no synapse.
    """
    check_choice("readout", readout, READOUTS)
    if readout == "last":
        scores = outputs[:, -1]
    else:
        scores = outputs[:, -check_positive_int("readout_steps", readout_steps):].mean(axis=1)
    return scores.reshape(len(scores), -1).argmax(axis=1)


def accuracy_over_time(outputs, labels):
    """Accuracy of the argmax readout at every step: ``[n_steps]``."""
    predicted = outputs.reshape(outputs.shape[0], outputs.shape[1], -1).argmax(axis=2)
    return (predicted == labels[:, None]).mean(axis=0)


class AccuracyTally:
    """Counts correct predictions batch by batch, so no outputs need to be kept."""

    def __init__(self, readout="last", readout_steps=1):
        check_choice("readout", readout, READOUTS)
        self.readout, self.readout_steps = readout, check_positive_int("readout_steps", readout_steps)
        self.n_samples = 0
        self.correct = 0
        self.correct_per_step = 0
        self.keras_correct = 0
        self.keras_samples = 0

    def add(self, outputs, labels, keras_scores=None):
        if self.readout == "mean" and self.readout_steps > outputs.shape[1]:
            raise ValueError(
                f"`readout_steps` ({self.readout_steps}) exceeds n_steps ({outputs.shape[1]}); "
                "average over at most the simulated steps."
            )
        labels = as_labels(labels, len(outputs), int(np.prod(outputs.shape[2:])))
        self.n_samples += len(labels)
        self.correct += int(np.sum(readout_predictions(outputs, self.readout, self.readout_steps) == labels))
        self.correct_per_step = self.correct_per_step + accuracy_over_time(outputs, labels) * len(labels)
        if keras_scores is not None:
            predicted = np.asarray(keras_scores).reshape(len(labels), -1).argmax(axis=1)
            self.keras_correct += int(np.sum(predicted == labels))
            self.keras_samples += len(labels)

    @property
    def accuracy(self):
        return self.correct / self.n_samples

    @property
    def accuracy_per_step(self):
        return self.correct_per_step / self.n_samples

    @property
    def keras_accuracy(self):
        return self.keras_correct / self.keras_samples if self.keras_samples else None


@dataclasses.dataclass
class EvaluationResult:
    """Accuracy and spike statistics of one evaluation.

    Attributes:
        accuracy: accuracy of the chosen readout.
        accuracy_per_step: accuracy of the last-step readout at each step.
        keras_accuracy: the original Keras model's accuracy on the same data
            (``None`` when the network has no Keras model attached).
        simulation: the full :class:`~snnconvert.metrics.SimulationResult`.
    """

    accuracy: float
    accuracy_per_step: np.ndarray
    keras_accuracy: float | None
    readout: str
    readout_steps: int
    simulation: object

    @property
    def spikes_per_layer(self):
        return self.simulation.spikes_per_layer

    @property
    def activity(self):
        return self.simulation.activity

    @property
    def total_spikes(self):
        return self.simulation.total_spikes

    @property
    def spikes_per_image(self):
        return self.total_spikes / self.simulation.n_images

    def summary(self):
        """A plain-text report: accuracies, then one row per neuron population."""
        lines = [
            f"images: {self.simulation.n_images}   steps: {self.simulation.n_steps}   "
            f"dt: {self.simulation.dt:g} s   readout: {self._readout_label()}",
            f"snn accuracy: {self.accuracy:.4f}"
            + ("" if self.keras_accuracy is None else f"   keras accuracy: {self.keras_accuracy:.4f}"),
            "",
        ]
        header = ("layer", "neurons", "total spikes", "spikes/image", "mean Hz", "max Hz", "silent")
        rows = [
            (
                name,
                f"{a.n_neurons}",
                f"{a.total_spikes:,}" if a.spiking else f"{a.total_spikes:,.1f} (rate)",
                f"{a.spikes_per_image:,.1f}",
                f"{a.mean_rate_hz:.1f}",
                f"{a.max_rate_hz:.1f}",
                f"{a.silent_fraction:.1%}",
            )
            for name, a in self.activity.items()
        ]
        lines.extend(format_table(header, rows))
        return "\n".join(lines)

    def _readout_label(self):
        return "last step" if self.readout == "last" else f"mean of last {self.readout_steps} steps"

    def to_dict(self):
        return {
            "accuracy": self.accuracy,
            "keras_accuracy": self.keras_accuracy,
            "readout": self.readout,
            "readout_steps": self.readout_steps,
            "n_images": self.simulation.n_images,
            "n_steps": self.simulation.n_steps,
            "dt": self.simulation.dt,
            "accuracy_per_step": [float(a) for a in self.accuracy_per_step],
            "total_spikes": self.total_spikes,
            "spikes_per_image": self.spikes_per_image,
            "layers": {name: a.to_dict() for name, a in self.activity.items()},
        }
