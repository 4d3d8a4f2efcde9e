"""Readouts (last step, mean of the last k steps, low-pass filtered) and time-to-accuracy."""

from pathlib import Path

import numpy as np
import pytest

import snnconvert
from snnconvert.data import load_dataset
from snnconvert.data.preprocess import fit_to_input
from snnconvert.metrics import readout_scores, time_to_accuracy

MODELS = Path(__file__).resolve().parents[2] / "models"


def one_sample(values):
    """Outputs over time ``[1, steps, 1]`` holding ``values``."""
    return np.asarray(values, np.float64).reshape(1, -1, 1)


def test_last_is_the_output_itself():
    np.testing.assert_array_equal(readout_scores(one_sample([1, 3, 5]), "last")[0, :, 0], [1, 3, 5])


def test_mean_averages_the_last_k_steps_up_to_each_step():
    scores = readout_scores(one_sample([1, 3, 5, 7]), "mean", readout_steps=2)
    np.testing.assert_allclose(scores[0, :, 0], [1, 2, 4, 6])
    everything = readout_scores(one_sample([1, 3, 5, 7]), "mean", readout_steps=4)
    np.testing.assert_allclose(everything[0, :, 0], [1, 2, 3, 4])


def test_filtered_is_a_first_order_low_pass_from_zero():
    dt = 0.001
    tau = dt / np.log(2)  # decay 1/2 per step
    scores = readout_scores(one_sample([2, 2, 2, 0]), "filtered", readout_tau=tau, dt=dt)
    np.testing.assert_allclose(scores[0, :, 0], [1, 1.5, 1.75, 0.875])


@pytest.mark.parametrize("options, message", [
    ({"readout": "median"}, "readout"),
    ({"readout": "mean", "readout_steps": 0}, "readout_steps"),
    ({"readout": "filtered", "readout_tau": 0}, "readout_tau"),
])
def test_bad_readout_options(options, message):
    with pytest.raises(ValueError, match=message):
        readout_scores(one_sample([1, 2]), **options)


def test_time_to_accuracy_is_the_step_from_which_accuracy_stays_close():
    accuracy = [0.1, 0.5, 0.9, 0.85, 0.9, 0.9]
    assert time_to_accuracy(accuracy, tolerance=0.01) == 5
    assert time_to_accuracy(accuracy, tolerance=0.06) == 3
    assert time_to_accuracy([0.9, 0.9], tolerance=0.0) == 1


@pytest.fixture(scope="module")
def digits():
    x, y = load_dataset("digits", "test")
    net = snnconvert.convert(str(MODELS / "digits_mlp.h5"), scale_firing_rates=20)
    return net, fit_to_input(x, net.graph.inputs[0].shape, pixel_scale=16.0), y


@pytest.mark.parametrize("readout", ["last", "mean", "filtered"])
def test_evaluation_reports_the_chosen_readout_at_every_step(digits, readout):
    net, x, y = digits
    result = net.evaluate(x, y, n_steps=40, readout=readout, readout_steps=40, readout_tau=0.01, progress=False)
    assert result.accuracy == result.accuracy_per_step[-1]
    assert result.readout == readout
    assert 1 <= result.time_to_accuracy() <= 40
    assert result.to_dict()["time_to_accuracy_steps"] == result.time_to_accuracy()


def test_integrating_readout_beats_the_last_step_without_a_synapse(digits):
    """At a low scale without a synapse the last step sees a few spikes at most;
    averaging over the run recovers the rate code."""
    net, x, y = digits
    last = net.evaluate(x, y, n_steps=40, readout="last", progress=False)
    mean = net.evaluate(x, y, n_steps=40, readout="mean", readout_steps=40, progress=False)
    assert mean.accuracy > last.accuracy + 0.1
