"""``snnconvert inspect | evaluate | sweep`` run in-process through ``snnconvert.cli.main``."""

import csv
import json

import keras
import numpy as np
import pytest
from cli_helpers import run

import snnconvert


def keras_accuracy(model, images, labels, pixel_scale=255.0):
    x = images[..., None].astype(np.float32) / np.float32(pixel_scale)
    return float(np.mean(np.asarray(model(x)).argmax(axis=1) == labels))


def api_evaluate(tiny, *, scale=10.0, synapse=0.005, neuron_type="spiking", n_steps=30, n_test=None,
                 pixel_scale=255.0, batch_size=100, **options):
    """The same evaluation through the Python API, with data prepared by hand."""
    images, labels = tiny.images[:n_test], tiny.labels[:n_test]
    x = images[..., None].astype(np.float32) / np.float32(pixel_scale)
    net = snnconvert.convert(str(tiny.model_path), scale_firing_rates=scale, synapse=synapse,
                             neuron_type=neuron_type)
    return net.evaluate(x, labels, n_steps, batch_size=batch_size, progress=False, **options)


# ---------------------------------------------------------------- inspect


def test_inspect_prints_every_layer(capsys, tiny):
    code, out, err = run(capsys, "inspect", tiny.model_path, "--scale", 4, "--synapse", 0.01)
    assert code == 0
    lines = out.splitlines()
    model = keras.models.load_model(tiny.model_path, compile=False)
    assert lines[0].startswith(f"model {tiny.model_path}: {len(model.layers) + 1} layers -> <SpikingGraph")
    rows = {line.split()[0]: line for line in lines[3:]}
    assert set(rows) == {"img", "conv", "bn", "relu", "flat", "hid", "out"}
    assert "folded into conv" in rows["bn"]
    # relu: 2x2x3 neurons at scale 4 with a 10 ms synapse; hid: 6 neurons, fan-in 12.
    assert rows["relu"].split()[-6:] == ["12", "SpikingRectifiedLinear", "4", "0.01", "s", "0"]
    assert rows["hid"].split()[-7:] == ["6", "SpikingRectifiedLinear", "4", "0.01", "s", "78", "12"]
    assert err == ""


def test_inspect_rate_neurons_without_synapse(capsys, tiny):
    code, out, _ = run(capsys, "inspect", tiny.model_path, "--neuron-type", "rate", "--synapse", 0, "--scale", 10)
    assert code == 0
    relu = next(line for line in out.splitlines() if line.startswith("relu "))
    assert relu.split()[2:] == ["Neuron", "12", "RectifiedLinear", "10", "0"]  # no synapse column


# ---------------------------------------------------------------- evaluate


def test_evaluate_prints_both_accuracies_and_writes_the_same_json_as_the_api(capsys, tiny, tmp_path):
    report_path = tmp_path / "report.json"
    code, out, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--scale", 100,
                         "--synapse", 0.005, "--output", report_path, "--quiet")
    assert code == 0 and err == ""
    report = json.loads(report_path.read_text())
    expected_keras = keras_accuracy(tiny.model, tiny.images, tiny.labels)
    assert 0.5 < expected_keras < 1.0
    result = api_evaluate(tiny, scale=100)
    assert report["snn_accuracy"] == result.accuracy
    assert report["keras_accuracy"] == pytest.approx(expected_keras)
    assert {layer["layer"]: layer["total_spikes"] for layer in report["layers"]} == result.spikes_per_layer
    assert all(total > 0 for total in result.spikes_per_layer.values())
    assert report["spikes_per_image"] == pytest.approx(result.spikes_per_image)
    assert (report["n_images"], report["n_steps"], report["dt"], report["readout"]) == (40, 30, 0.001, "last")
    assert (report["model"], report["dataset"], report["scale"], report["synapse"]) == \
        (str(tiny.model_path), str(tiny.data_path), 100.0, 0.005)
    assert (report["neuron_type"], report["initial_state"]) == ("spiking", "uniform")
    assert report["wall_time_s"] > 0
    # ANN MACs: conv 2x2x3 outputs x 9 + Dense 12 -> 6 + Dense 6 -> 3.
    assert report["ann_macs_per_image"] == 12 * 9 + 12 * 6 + 6 * 3
    assert f"keras accuracy {expected_keras:.2%}   spiking accuracy {result.accuracy:.2%}" in out
    for layer in ("relu", "hid"):
        assert any(line.startswith(f"{layer} ") for line in out.splitlines())
    assert f"report written to {report_path}" in out


def test_evaluate_passes_every_option_on(capsys, tiny, tmp_path):
    report_path = tmp_path / "report.json"
    code, _, _ = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--n-test", 25,
                     "--batch-size", 10, "--scale", 150, "--synapse", 0, "--n-steps", 12, "--dt", 0.002,
                     "--initial-state", "half", "--readout", "mean", "--readout-steps", 4,
                     "--pixel-scale", 128, "--output", report_path, "--quiet")
    assert code == 0
    report = json.loads(report_path.read_text())
    result = api_evaluate(tiny, scale=150, synapse=0, n_steps=12, n_test=25, pixel_scale=128, batch_size=10,
                          dt=0.002, initial_state="half", readout="mean", readout_steps=4)
    assert (report["n_images"], report["n_steps"], report["dt"]) == (25, 12, 0.002)
    assert (report["readout"], report["initial_state"], report["synapse"]) == ("mean", "half", 0.0)
    assert report["snn_accuracy"] == result.accuracy
    assert report["accuracy_per_step"] == pytest.approx(list(result.accuracy_per_step))
    assert {layer["layer"]: layer["total_spikes"] for layer in report["layers"]} == result.spikes_per_layer
    assert report["keras_accuracy"] == pytest.approx(
        keras_accuracy(tiny.model, tiny.images[:25], tiny.labels[:25], pixel_scale=128))


def test_rate_neurons_reproduce_the_keras_accuracy(capsys, tiny, tmp_path):
    report_path = tmp_path / "report.json"
    code, out, _ = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--neuron-type", "rate",
                       "--synapse", 0, "--n-steps", 3, "--output", report_path, "--quiet")
    assert code == 0
    report = json.loads(report_path.read_text())
    expected = keras_accuracy(tiny.model, tiny.images, tiny.labels)
    assert report["keras_accuracy"] == pytest.approx(expected)
    assert report["snn_accuracy"] == pytest.approx(expected)
    assert report["accuracy_per_step"] == pytest.approx([expected] * 3)
    assert out.count("(rate)") == 2


def test_quiet_hides_the_progress_bar(capsys, tiny):
    code, _, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--n-steps", 3)
    assert code == 0
    assert "simulating" in err  # without --quiet, tqdm draws on stderr
    code, out, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--n-steps", 3,
                         "--quiet")
    assert code == 0 and "spiking accuracy" in out
    assert err == ""


# ---------------------------------------------------------------- sweep


def test_sweep_writes_csv_and_plot_then_resumes(capsys, tiny, tmp_path):
    csv_path, png_path = tmp_path / "sweep.csv", tmp_path / "sweep.png"
    common = ["sweep", tiny.model_path, "--dataset", tiny.data_path, "--synapse", 0.005, "--n-steps", 10,
              "--batch-size", 40, "--output", csv_path, "--quiet"]
    code, out, err = run(capsys, *common, "--scale", 30, 300, "--plot", png_path)
    assert code == 0 and err == "", err
    with open(csv_path, newline="") as file:
        first = list(csv.DictReader(file))
    assert [(float(r["scale"]), float(r["synapse"]), int(r["n_steps"])) for r in first] == \
        [(30.0, 0.005, 10), (300.0, 0.005, 10)]
    assert float(first[0]["spikes_per_image"]) < float(first[1]["spikes_per_image"])
    expected_keras = keras_accuracy(tiny.model, tiny.images, tiny.labels)
    assert all(float(r["keras_accuracy"]) == pytest.approx(expected_keras) for r in first)
    lines = out.splitlines()
    assert lines[0].split() == ["scale", "synapse", "steps", "accuracy", "spikes/img", "synops/img", "t-to-acc", "time",
                                "s"]
    assert set(lines[1]) <= {"-", " "}  # the table's rule under its header
    assert [line.split()[:3] for line in lines[2:4]] == [["30", "0.005", "10"], ["300", "0.005", "10"]]
    assert f"keras accuracy {expected_keras:.2%}; rows in {csv_path}" in out
    assert f"plot written to {png_path}" in out
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Same file, one more scale: only the new row is computed and appended.
    code, out, _ = run(capsys, *common, "--scale", 30, 300, 3000)
    assert code == 0
    with open(csv_path, newline="") as file:
        second = list(csv.DictReader(file))
    assert second[:2] == first  # wall times too: the old rows were not recomputed
    assert [float(r["scale"]) for r in second] == [30.0, 300.0, 3000.0]
    assert len(out.splitlines()) == 2 + 3 + 1  # header, rule, rows, the Keras line


def test_sweep_over_steps_and_synapses(capsys, tiny, tmp_path):
    csv_path = tmp_path / "sweep.csv"
    code, _, _ = run(capsys, "sweep", tiny.model_path, "--dataset", tiny.data_path, "--scale", 200,
                     "--synapse", 0, 0.01, "--n-steps", 4, 8, "--batch-size", 40, "--output", csv_path, "--quiet")
    assert code == 0
    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(float(r["synapse"]), int(r["n_steps"])) for r in rows] == [(0.0, 4), (0.0, 8), (0.01, 4), (0.01, 8)]
    # With no synapse, twice the steps gives about twice the spikes (same rates).
    ratio = float(rows[1]["spikes_per_image"]) / float(rows[0]["spikes_per_image"])
    assert 1.5 < ratio < 2.5


def test_sweep_refuses_a_foreign_csv(capsys, tiny, tmp_path):
    csv_path = tmp_path / "other.csv"
    csv_path.write_text("a,b\n1,2\n")
    code, out, err = run(capsys, "sweep", tiny.model_path, "--dataset", tiny.data_path, "--output", csv_path,
                         "--quiet")
    assert code == 2
    assert err.startswith("snnconvert: error: ") and err.count("\n") == 1
    assert "other.csv" in err
    assert csv_path.read_text() == "a,b\n1,2\n"
