"""``--scale auto`` on the command line: calibration samples, options, reports and sweeps.

The reference is the Python API: ``snnconvert.calibrate`` on the samples the command
line says it drew (seeded), then ``convert``/``evaluate`` with those scales.
"""

import csv
import inspect as python_inspect
import json

import numpy as np
import pytest
from cli_helpers import run

import snnconvert
from snnconvert.cli import main
from snnconvert.cli.commands import CALIBRATION_SAMPLES
from snnconvert.data import load_dataset
from snnconvert.data.preprocess import fit_to_input
from snnconvert.reports.sweep import run_sweep


def drawn(images, count):
    """The samples the command line calibrates on: ``count`` of them at random, seed 0, in order."""
    chosen = np.sort(np.random.default_rng(0).choice(len(images), min(count, len(images)), replace=False))
    return images[chosen][..., None].astype(np.float32) / np.float32(255)


@pytest.fixture(scope="module")
def with_train(tiny, tmp_path_factory):
    """The tiny data plus 60 other images as x_train."""
    path = tmp_path_factory.mktemp("train") / "with_train.npz"
    train = np.random.default_rng(8).integers(0, 256, (60, 4, 4)).astype(np.uint8)
    np.savez(path, x=tiny.images, y=tiny.labels, x_train=train)
    return path, train


def test_inspect_auto_shows_calibrated_scales_from_the_evaluation_data(capsys, tiny):
    code, out, err = run(capsys, "inspect", tiny.model_path, "--scale", "auto", "--dataset", tiny.data_path,
                         "--synapse", 0)
    assert code == 0, err
    expected = snnconvert.calibrate(tiny.model, drawn(tiny.images, CALIBRATION_SAMPLES))
    assert f"calibration: 40 samples drawn at random from the evaluation data of {tiny.data_path.name}" in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("layer "))
    assert header.split()[-2:] == ["p99.9", "activation"]
    rows = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in ("relu", "hid")}
    for name in ("relu", "hid"):
        # ... neurons, neuron type, scale, params, (fan-in), activation
        assert f"{expected[name]:g}" in rows[name]
        assert rows[name][-1] == f"{expected.layers[name]['activation']:.4g}"
    assert "percentile of positive activations" in out  # the conversion note


def test_inspect_auto_needs_a_dataset(capsys, tiny):
    code, out, err = run(capsys, "inspect", tiny.model_path, "--scale", "auto")
    assert code == 2
    assert err.startswith("snnconvert: error: --scale auto") and "--dataset" in err
    assert len(err.splitlines()) == 1


def test_evaluate_auto_matches_the_api_and_records_the_calibration(capsys, tiny, tmp_path):
    report_path = tmp_path / "auto.json"
    code, out, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--scale", "auto",
                         "--calibration-samples", 25, "--percentile", 99, "--target-rate", "400Hz",
                         "--n-steps", 15, "--synapse", 0.002, "--quiet", "--output", report_path)
    assert code == 0, err
    calibration = snnconvert.calibrate(tiny.model, drawn(tiny.images, 25), percentile=99, target_rate=0.4)
    net = snnconvert.convert(tiny.model, scale_firing_rates=calibration, synapse=0.002)
    x = tiny.images[..., None].astype(np.float32) / np.float32(255)
    result = net.evaluate(x, tiny.labels, 15, progress=False)
    report = json.loads(report_path.read_text())
    assert report["scale"] == "auto"
    assert report["snn_accuracy"] == pytest.approx(result.accuracy)
    assert report["spikes_per_image"] == pytest.approx(result.spikes_per_image)
    recorded = report["calibration"]
    assert (recorded["percentile"], recorded["n_samples"], recorded["dt"]) == (99.0, 25, 0.001)
    assert recorded["source"] == f"the evaluation data of {tiny.data_path.name} (it has no x_train)"
    for name in ("relu", "hid"):
        assert recorded["layers"][name]["scale"] == pytest.approx(calibration[name])
        assert recorded["layers"][name]["target_rate"] == pytest.approx(0.4)
    assert {layer["layer"]: layer["scale"] for layer in report["layers"]} == pytest.approx(dict(calibration))
    assert "scales calibrated on 25 samples" in out and "99th percentile activation fires 0.4 spike" in out


def test_calibration_samples_come_from_x_train_when_the_file_has_it(capsys, tiny, with_train):
    path, train = with_train
    code, out, err = run(capsys, "inspect", tiny.model_path, "--scale", "auto", "--dataset", path,
                         "--calibration-samples", 30, "--target-rate", 0.5)
    assert code == 0, err
    assert f"30 samples drawn at random from x_train of {path.name}" in out
    expected = snnconvert.calibrate(tiny.model, drawn(train, 30), target_rate=0.5)
    relu = next(line.split() for line in out.splitlines() if line.startswith("relu "))
    assert f"{expected['relu']:g}" in relu


def test_a_named_dataset_calibrates_on_its_training_split(capsys):
    code, out, err = run(capsys, "inspect", "models/digits_mlp.h5", "--scale", "auto", "--dataset", "digits",
                         "--calibration-samples", 200)
    assert code == 0, err
    assert "200 samples drawn at random from the digits training split" in out
    model = snnconvert.load_keras_model("models/digits_mlp.h5")
    train, _ = load_dataset("digits", "train")
    chosen = np.sort(np.random.default_rng(0).choice(len(train), 200, replace=False))
    expected = snnconvert.calibrate(model, np.asarray(fit_to_input(train[chosen], model.inputs[0].shape[1:], 16)))
    for name, scale in expected.items():
        row = next(line.split() for line in out.splitlines() if line.startswith(f"{name} "))
        assert f"{scale:g}" in row


@pytest.mark.parametrize("options, fragment", [
    (["--calibration-samples", "0"], "--calibration-samples"),
    (["--percentile", "0"], "percentile"),
    (["--target-rate", "fast"], "--target-rate"),
])
def test_bad_calibration_options_give_one_error_line(capsys, tiny, options, fragment):
    code, _, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--scale", "auto",
                       "--quiet", *options)
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("snnconvert: error: ") and fragment in err


def test_scale_must_be_a_number_or_auto(capsys, tiny):
    with pytest.raises(SystemExit):
        main(["inspect", str(tiny.model_path), "--scale", "automatic"])
    assert "expected a number or 'auto'" in capsys.readouterr().err


@pytest.mark.skipif("calibration" not in python_inspect.signature(run_sweep).parameters,
                    reason="needs run_sweep(calibration=...) in snnconvert/reports/sweep.py")
def test_sweep_with_auto_among_the_scales(capsys, tiny, tmp_path):
    csv_path = tmp_path / "sweep.csv"
    common = ["sweep", tiny.model_path, "--dataset", tiny.data_path, "--synapse", 0.002, "--n-steps", 10,
              "--calibration-samples", 20, "--output", csv_path, "--quiet"]
    code, out, err = run(capsys, *common, "--scale", 50, "auto", "--plot", tmp_path / "sweep.png")
    assert code == 0, err
    with csv_path.open() as file:
        rows = list(csv.DictReader(file))
    assert [row["scale"] for row in rows] == ["50.0", "auto"]
    calibration = snnconvert.calibrate(tiny.model, drawn(tiny.images, 20))
    net = snnconvert.convert(tiny.model, scale_firing_rates=calibration, synapse=0.002)
    x = tiny.images[..., None].astype(np.float32) / np.float32(255)
    result = net.evaluate(x, tiny.labels, 10, progress=False)
    assert float(rows[1]["accuracy"]) == pytest.approx(result.accuracy)
    assert float(rows[1]["spikes_per_image"]) == pytest.approx(result.spikes_per_image)
    assert any(line.split()[0] == "auto" for line in out.splitlines() if line.strip())
    # Resuming: nothing is recomputed; another calibration is refused.
    code, out, _ = run(capsys, *common, "--scale", 50, "auto")
    assert code == 0 and len(list(csv.DictReader(csv_path.open()))) == 2
    code, _, err = run(capsys, *common[:-1], "--percentile", 99, "--quiet", "--scale", "auto")
    assert code == 2 and "other settings" in err
