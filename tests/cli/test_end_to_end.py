"""The command line as a user runs it: separate processes, and the shipped models."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from snnconvert.cli import main
from snnconvert.data import load_dataset

MODELS = Path(__file__).resolve().parents[2] / "models"


def _environment():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _script():
    beside_python = Path(sys.executable).parent / "snnconvert"
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("snnconvert")
    return [found] if found else [sys.executable, "-m", "snnconvert.cli.main"]


def _digits_keras_accuracy(n=None):
    model = keras.models.load_model(MODELS / "digits_mlp.h5", compile=False)
    images, labels = load_dataset("digits", "test")
    images, labels = images[:n], labels[:n]
    x = images[..., None].astype(np.float32) / 16
    return float(np.mean(np.asarray(model(x)).argmax(axis=1) == labels))


def test_script_error_exits_2_with_one_line_and_no_traceback(unsupported_models, tiny):
    path, _ = unsupported_models["layernorm"]
    completed = subprocess.run([*_script(), "evaluate", str(path), "--dataset", str(tiny.data_path)],
                               capture_output=True, text=True, env=_environment(), timeout=300)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("snnconvert")]
    assert len(errors) == 1
    assert errors[0].startswith("snnconvert: error: Layer 'layernorm' of type LayerNormalization")
    assert completed.stderr.rstrip().endswith(errors[0])


def test_module_run_on_the_shipped_digits_model(tmp_path):
    pytest.importorskip("sklearn")
    report_path = tmp_path / "digits.json"
    completed = subprocess.run(
        [sys.executable, "-m", "snnconvert.cli.main", "evaluate", str(MODELS / "digits_mlp.h5"),
         "--dataset", "digits", "--n-test", "100", "--scale", "200", "--synapse", "0.005", "--quiet",
         "--output", str(report_path)],
        capture_output=True, text=True, env=_environment(), timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(report_path.read_text())
    keras_accuracy = _digits_keras_accuracy(100)
    assert report["n_images"] == 100
    assert report["keras_accuracy"] == pytest.approx(keras_accuracy)
    assert report["keras_accuracy"] > 0.9
    assert report["snn_accuracy"] >= keras_accuracy - 0.03
    # 64*64 + 64*32 + 32*10 multiply-accumulates per image.
    assert report["ann_macs_per_image"] == 6464
    assert [layer["layer"] for layer in report["layers"]] == ["dense1", "dense2"]
    assert all(layer["total_spikes"] > 0 for layer in report["layers"])
    assert f"spiking accuracy {report['snn_accuracy']:.2%}" in completed.stdout


def test_digits_rate_mode_gives_exactly_the_keras_accuracy(capsys):
    pytest.importorskip("sklearn")
    code = main(["evaluate", str(MODELS / "digits_mlp.h5"), "--dataset", "digits", "--neuron-type", "rate",
                 "--scale", "10", "--synapse", "0", "--n-steps", "2", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    expected = _digits_keras_accuracy()
    assert f"keras accuracy {expected:.2%}   spiking accuracy {expected:.2%}" in out
    assert out.startswith("images 360, 2 steps of 1 ms")


@pytest.mark.slow
def test_mnist_cnn_at_high_scale_reaches_the_keras_accuracy(capsys, data_dir):
    code = main(["evaluate", str(MODELS / "mnist_cnn.h5"), "--dataset", "mnist", "--data-dir", str(data_dir),
                 "--n-test", "200", "--scale", "1000", "--synapse", "0.005", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    match = re.search(r"keras accuracy ([\d.]+)%\s+spiking accuracy ([\d.]+)%", out)
    assert match, out
    keras_accuracy, spiking_accuracy = float(match.group(1)), float(match.group(2))
    assert keras_accuracy > 95
    assert spiking_accuracy >= keras_accuracy - 3
    # conv1 26x26x32 x 9 + conv2 12x12x64 x 288 + dense 9216 x 10.
    assert "ANN MACs per image 2,941,056" in out
    assert out.startswith("images 200, 30 steps of 1 ms")
    rows = [line.split() for line in out.splitlines() if line.startswith(("conv1 ", "conv2 "))]
    assert [(row[0], row[1]) for row in rows] == [("conv1", "21,632"), ("conv2", "9,216")]
