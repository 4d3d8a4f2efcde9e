"""Conversion and readout options on the command line give what the Python API gives."""

import json

import keras
import numpy as np
import pytest
from cli_helpers import run

import snnconvert

L = keras.layers


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """A model with a max-pool and a sigmoid layer, saved, with 4x4 data."""
    folder = tmp_path_factory.mktemp("gated")
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((4, 4, 1)), L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        L.MaxPooling2D(2, name="pool"), L.Flatten(), L.Dense(6, activation="sigmoid", name="gate"),
        L.Dense(3, name="out"),
    ])
    path = folder / "gated.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (20, 4, 4)).astype(np.float32)
    labels = np.asarray(model(images[..., None])).argmax(axis=1)
    data = folder / "gated.npz"
    np.savez(data, x=images, y=labels)
    return path, data, images[..., None], labels


def test_non_spiking_layers_are_refused_unless_named(capsys, gated):
    path, *_ = gated
    code, _, err = run(capsys, "inspect", path)
    assert code == 2 and "'gate'" in err and "non_spiking" in err
    code, out, err = run(capsys, "inspect", path, "--non-spiking", "gate")
    assert code == 0, err
    assert "NonSpikingActivation" in out and "note: gate: activation 'sigmoid' runs as a non-spiking" in out


@pytest.mark.parametrize("max_pooling", ["spiking", "average"])
@pytest.mark.parametrize("readout", ["last", "filtered"])
def test_evaluate_matches_the_api(capsys, gated, max_pooling, readout):
    path, data, x, y = gated
    tau = ["--readout-tau", 0.004] if readout == "filtered" else []
    code, out, err = run(capsys, "evaluate", path, "--dataset", data, "--quiet", "--scale", 50,
                         "--synapse", 0.005, "--n-steps", 20, "--non-spiking", "rate", "--max-pooling", max_pooling,
                         "--readout", readout, *tau)
    assert code == 0, err
    net = snnconvert.convert(str(path), scale_firing_rates=50, synapse=0.005, non_spiking="rate",
                             max_pooling=max_pooling)
    expected = net.evaluate(x, y, 20, readout=readout, readout_tau=0.004, progress=False)
    assert f"spiking accuracy {expected.accuracy:.2%}" in out
    assert (f"readout: {readout}" in out) and ("max_pooling='spiking'" in out) == (max_pooling == "average")


def test_lif_neurons_from_the_command_line(capsys, gated):
    path, *_ = gated
    code, out, err = run(capsys, "inspect", path, "--neuron-type", "lif", "--non-spiking", "rate")
    assert code == 0, err
    assert "LIF" in out


def test_report_names_the_non_spiking_layers_and_time_to_accuracy(capsys, gated, tmp_path):
    path, data, *_ = gated
    report_path = tmp_path / "report.json"
    code, out, err = run(capsys, "evaluate", path, "--dataset", data, "--quiet", "--n-steps", 10,
                         "--non-spiking", "rate", "--output", report_path)
    assert code == 0, err
    report = json.loads(report_path.read_text())
    assert report["non_spiking_layers"] == ["gate.sigmoid"]
    assert 1 <= report["time_to_accuracy_steps"] <= 10
    assert "non-spiking (rate) layers: gate.sigmoid" in out


@pytest.mark.parametrize("option, value, needed", [
    ("--percentile", 50, "--scale auto"),
    ("--target-rate", 2, "--scale auto"),
    ("--calibration-samples", 7, "--scale auto"),
    ("--readout-tau", 0.02, "--readout filtered"),
    ("--readout-steps", 5, "--readout mean"),
])
def test_an_option_without_the_one_it_belongs_to_is_refused(capsys, gated, option, value, needed):
    path, data, *_ = gated
    code, _, err = run(capsys, "evaluate", path, "--dataset", data, "--quiet", "--non-spiking", "rate",
                       "--scale", 10, option, value)
    assert code == 2
    assert err.strip() == f"snnconvert: error: {option} only applies with {needed}."
