"""Classification accuracy of a simulated network, beside the original Keras model's."""

import dataclasses

import numpy as np

from snnconvert._tables import format_table
from snnconvert._validation import check_choice, check_positive_int, check_positive_number

READOUTS = ("last", "mean", "filtered")


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


def readout_scores(outputs, readout="last", readout_steps=1, readout_tau=0.01, dt=0.001):
    """What the readout reports at every step: ``[n, steps, ...]`` from outputs over time.

    * ``"last"``: the output at that step (with a synapse on the last population this
      is already a low-pass filtered value);
    * ``"mean"``: the mean over the last ``readout_steps`` steps up to that step, an
      integrating readout that smooths spike noise when there is no synapse;
    * ``"filtered"``: the output through a first-order low-pass filter with time
      constant ``readout_tau``, started at zero (a readout neuron with a synapse).
    """
    check_choice("readout", readout, READOUTS)
    outputs = np.asarray(outputs, np.float64)
    if readout == "last":
        return outputs
    if readout == "mean":
        steps = check_positive_int("readout_steps", readout_steps)
        running = np.cumsum(outputs, axis=1)
        before = np.concatenate([np.zeros_like(running[:, :steps]), running[:, :-steps]], axis=1)[:, :outputs.shape[1]]
        counts = np.minimum(np.arange(1, outputs.shape[1] + 1), steps)
        return (running - before) / counts.reshape(1, -1, *[1] * (outputs.ndim - 2))
    decay = np.exp(-dt / check_positive_number("readout_tau", readout_tau))
    filtered = np.empty_like(outputs)
    state = np.zeros_like(outputs[:, 0])
    for step in range(outputs.shape[1]):
        state = decay * state + (1 - decay) * outputs[:, step]
        filtered[:, step] = state
    return filtered


def readout_predictions(outputs, readout="last", readout_steps=1, readout_tau=0.01, dt=0.001):
    """Predicted classes at the final step of the run, for the chosen readout."""
    scores = readout_scores(outputs, readout, readout_steps, readout_tau, dt)[:, -1]
    return scores.reshape(len(scores), -1).argmax(axis=1)


def accuracy_over_time(scores, labels):
    """Accuracy of the argmax of ``scores`` ``[n, steps, ...]`` at every step: ``[n_steps]``."""
    predicted = scores.reshape(scores.shape[0], scores.shape[1], -1).argmax(axis=2)
    return (predicted == labels[:, None]).mean(axis=0)


def time_to_accuracy(accuracy_per_step, tolerance=0.005):
    """The first step (counted from 1) from which accuracy stays within ``tolerance`` of
    its final value until the end of the run."""
    accuracy_per_step = np.asarray(accuracy_per_step)
    outside = np.abs(accuracy_per_step - accuracy_per_step[-1]) > tolerance
    last_outside = np.flatnonzero(outside)
    return int(last_outside[-1]) + 2 if len(last_outside) else 1


class AccuracyTally:
    """Counts correct predictions batch by batch, so no outputs need to be kept."""

    def __init__(self, readout="last", readout_steps=1, readout_tau=0.01, dt=0.001):
        check_choice("readout", readout, READOUTS)
        self.readout, self.readout_steps = readout, check_positive_int("readout_steps", readout_steps)
        self.readout_tau, self.dt = check_positive_number("readout_tau", readout_tau), dt
        self.n_samples = 0
        self.correct_per_step = 0
        self.keras_correct = 0
        self.keras_samples = 0

    def check_steps(self, n_steps):
        if self.readout == "mean" and self.readout_steps > n_steps:
            raise ValueError(
                f"`readout_steps` ({self.readout_steps}) exceeds n_steps ({n_steps}); "
                "average over at most the simulated steps."
            )

    def add(self, outputs, labels, keras_scores=None):
        self.check_steps(outputs.shape[1])
        labels = as_labels(labels, len(outputs), int(np.prod(outputs.shape[2:])))
        self.n_samples += len(labels)
        scores = readout_scores(outputs, self.readout, self.readout_steps, self.readout_tau, self.dt)
        self.correct_per_step = self.correct_per_step + accuracy_over_time(scores, labels) * len(labels)
        if keras_scores is not None:
            predicted = np.asarray(keras_scores).reshape(len(labels), -1).argmax(axis=1)
            self.keras_correct += int(np.sum(predicted == labels))
            self.keras_samples += len(labels)

    @property
    def accuracy(self):
        return float(self.accuracy_per_step[-1])

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
    simulation: object
    readout_tau: float = 0.01

    def time_to_accuracy(self, tolerance=0.005):
        """The first step from which accuracy stays within ``tolerance`` (a fraction,
        0.005 = half a point) of the final accuracy; see :func:`time_to_accuracy`."""
        return time_to_accuracy(self.accuracy_per_step, tolerance)

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
            + ("" if self.keras_accuracy is None else f"   keras accuracy: {self.keras_accuracy:.4f}")
            + f"   (within 0.5 points of its final value from step {self.time_to_accuracy()} on)",
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
        if self.readout == "last":
            return "last step"
        if self.readout == "filtered":
            return f"low-pass filtered, tau {self.readout_tau:g} s"
        return f"mean of last {self.readout_steps} steps"

    def to_dict(self):
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
