"""Readouts: what class a network's outputs over time say, step by step.

A :class:`Readout` takes one batch's outputs window after window and carries between
windows only what the next window needs (a running sum and the last ``readout_steps``
of it, or a filter's state), so an evaluation never holds a batch's outputs for the
whole run. The scores it gives are the very numbers (same float64 operations, in the
same order) that one pass over all steps gives.
"""

import numpy as np

from snnconvert._validation import check_choice, check_positive_int, check_positive_number

READOUTS = ("last", "mean", "filtered")


class Readout:
    """The readout of one batch, fed its outputs ``[n, steps, ...]`` window by window, in order.

    * ``"last"``: the output at that step (with a synapse on the last population this
      is already a low-pass filtered value);
    * ``"mean"``: the mean over the last ``readout_steps`` steps up to that step, an
      integrating readout that smooths spike noise when there is no synapse;
    * ``"filtered"``: the output through a first-order low-pass filter with time
      constant ``readout_tau``, started at zero (a readout neuron with a synapse).
    """

    def __init__(self, readout="last", readout_steps=1, readout_tau=0.01, dt=0.001):
        self.readout = check_choice("readout", readout, READOUTS)
        if readout == "mean":
            self.readout_steps = check_positive_int("readout_steps", readout_steps)
        if readout == "filtered":
            self.decay = np.exp(-dt / check_positive_number("readout_tau", readout_tau))
        self.steps_done = 0
        self.carried = None  # running sum (mean) or filter state (filtered) after the last step
        self.history = None  # mean: the running sums of the last readout_steps steps

    def scores(self, outputs):
        """What the readout reports at every step of this window: ``[n, steps, ...]`` float64."""
        outputs = np.asarray(outputs, np.float64)
        if self.readout == "last":
            scores = outputs
        elif self.readout == "mean":
            scores = self._mean(outputs)
        else:
            scores = self._filtered(outputs)
        self.steps_done += outputs.shape[1]
        return scores

    def _mean(self, outputs):
        k, start, steps = self.readout_steps, self.steps_done, outputs.shape[1]
        if self.carried is None:
            running = np.cumsum(outputs, axis=1)
            earlier = np.zeros_like(running[:, :0])
        else:
            # The carried sum goes first so that every step is added in the order of one pass.
            running = np.cumsum(np.concatenate([self.carried[:, None], outputs], axis=1), axis=1)[:, 1:]
            earlier = self.history
        # The running sum k steps back: zero before the first step.
        missing = k - earlier.shape[1]
        padded = np.concatenate([np.zeros((len(outputs), missing, *outputs.shape[2:])), earlier, running], axis=1)
        before = padded[:, :steps]
        self.carried, self.history = running[:, -1], padded[:, -min(k, start + steps):]
        counts = np.minimum(np.arange(start + 1, start + steps + 1), k)
        return (running - before) / counts.reshape(1, -1, *[1] * (outputs.ndim - 2))

    def _filtered(self, outputs):
        filtered = np.empty_like(outputs)
        state = np.zeros_like(outputs[:, 0]) if self.carried is None else self.carried
        for step in range(outputs.shape[1]):
            state = self.decay * state + (1 - self.decay) * outputs[:, step]
            filtered[:, step] = state
        self.carried = state
        return filtered


def readout_scores(outputs, readout="last", readout_steps=1, readout_tau=0.01, dt=0.001):
    """What the readout reports at every step: ``[n, steps, ...]`` from outputs over time
    (see :class:`Readout` for the readouts)."""
    return Readout(readout, readout_steps, readout_tau, dt).scores(outputs)


def readout_predictions(outputs, readout="last", readout_steps=1, readout_tau=0.01, dt=0.001):
    """Predicted classes at the final step of the run, for the chosen readout."""
    scores = readout_scores(outputs, readout, readout_steps, readout_tau, dt)[:, -1]
    return scores.reshape(len(scores), -1).argmax(axis=1)


def accuracy_over_time(scores, labels):
    """Accuracy of the argmax of ``scores`` ``[n, steps, ...]`` at every step: ``[n_steps]``."""
    predicted = scores.reshape(scores.shape[0], scores.shape[1], -1).argmax(axis=2)
    return (predicted == labels[:, None]).mean(axis=0)
