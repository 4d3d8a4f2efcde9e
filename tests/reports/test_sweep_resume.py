"""Resuming sweeps from damaged files, two sweeps on one file, and settings compared as
they take effect (defaults, paths, the model file's content)."""

import csv
import json
import os
import threading
import types
import warnings

import keras
import numpy as np
import pytest

from snnconvert.reports import sweep as sweep_module
from snnconvert.reports.sweep import run_sweep
from snnconvert.reports.sweep_file import SweepFileBusy
from snnconvert.reports.sweep_settings import MODEL_HASH, file_sha256


@pytest.fixture
def fake_convert(monkeypatch):
    """The sweep's ``convert`` answering at once: accuracy ``scale / 1000``; returns the
    scales converted, in order."""
    scales = []

    def evaluate(network, x, y, n_steps, **options):
        scale = network.scale
        return types.SimpleNamespace(accuracy=scale / 1000, spikes_per_image=scale * n_steps, activity={},
                                     simulation=types.SimpleNamespace(n_images=len(x)), keras_accuracy=0.5,
                                     time_to_accuracy=lambda tolerance: 1)

    def fake(model, **options):
        scales.append(options["scale_firing_rates"])
        network = types.SimpleNamespace(scale=options["scale_firing_rates"], graph=None)
        network.evaluate = lambda *args, **kwargs: evaluate(network, *args, **kwargs)
        return network

    monkeypatch.setattr(sweep_module, "convert", fake)
    monkeypatch.setattr(sweep_module, "synaptic_operations", lambda graph, activity: {})
    return scales


@pytest.fixture
def model_file(mlp, tmp_path):
    path = tmp_path / "model.keras"
    mlp.save(path)
    return path


def sweep(model, data, path, scales=(30, 60), **options):
    x, y = data
    return run_sweep(model, x, y, scales=scales, n_steps=(5,), output=path, progress=False, **options)


def csv_scales(path):
    with open(path, newline="") as file:
        return [float(row["scale"]) for row in csv.DictReader(file)]


# ---------------------------------------------------------------- damaged last rows


def test_a_last_row_without_its_line_ending_is_kept_and_ended(mlp, mlp_data, tmp_path, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path)
    path.write_bytes(path.read_bytes()[:-2])  # the last row loses its "\r\n"
    with pytest.warns(UserWarning, match=r"sweep\.csv.*no line ending"):
        rows = sweep(mlp, mlp_data, path, scales=(30, 60, 120))
    # Only 120 ran; before the fix it was glued onto the 60 row and lost.
    assert fake_convert == [30, 60, 120]
    assert [r["scale"] for r in rows] == [30.0, 60.0, 120.0]
    assert csv_scales(path) == [30.0, 60.0, 120.0]
    assert path.read_bytes().count(b"\r\n") == 4


@pytest.mark.parametrize("cut", [1, 10, 40])
def test_a_last_row_cut_mid_line_is_dropped_with_a_warning_and_run_again(mlp, mlp_data, tmp_path, fake_convert,
                                                                          cut):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path)
    data = path.read_bytes()
    last_start = data.rstrip(b"\r\n").rfind(b"\n") + 1
    path.write_bytes(data[:last_start + cut])
    with pytest.warns(UserWarning, match=r"sweep\.csv.*last row was cut short.*dropped.*: '6"):
        rows = sweep(mlp, mlp_data, path)
    assert fake_convert == [30, 60, 60]
    assert [r["scale"] for r in rows] == [30.0, 60.0]
    assert csv_scales(path) == [30.0, 60.0]
    # A clean file resumes without a word.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sweep(mlp, mlp_data, path) == rows


def test_a_damaged_row_before_the_last_is_refused_naming_its_line(mlp, mlp_data, tmp_path, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path, scales=(30, 60, 120))
    lines = path.read_bytes().split(b"\r\n")
    lines[2] = lines[2][:25]
    path.write_bytes(b"\r\n".join(lines))
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"sweep\.csv': line 3 is not a sweep row"):
        sweep(mlp, mlp_data, path)
    assert path.read_bytes() == before


# ---------------------------------------------------------------- one writer at a time


def test_a_second_sweep_on_the_same_file_is_refused_while_the_first_runs(mlp, mlp_data, tmp_path, fake_convert):
    path = tmp_path / "sweep.csv"
    started, release = threading.Event(), threading.Event()
    fake = sweep_module.convert

    def slow(model, **options):
        started.set()
        assert release.wait(30)
        return fake(model, **options)

    sweep_module.convert = slow
    first = threading.Thread(target=sweep, args=(mlp, mlp_data, path))
    first.start()
    try:
        assert started.wait(30)
        sweep_module.convert = fake
        with pytest.raises(SweepFileBusy, match=r"sweep\.csv' is locked: another sweep is writing it"):
            sweep(mlp, mlp_data, path)
    finally:
        release.set()
        first.join(30)
    # Every combination once: the refused sweep wrote nothing.
    assert csv_scales(path) == [30.0, 60.0]
    assert sweep(mlp, mlp_data, path)[1]["scale"] == 60.0  # the lock went with the first sweep


# ------------------------------------------------------- settings as they take effect


def test_the_same_model_by_another_path_resumes(mlp, mlp_data, tmp_path, monkeypatch, model_file, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(str(model_file), mlp_data, path, scales=(30,))
    monkeypatch.chdir(tmp_path)
    os.symlink(model_file, tmp_path / "link.keras")
    for spelling in ("model.keras", "./model.keras", "link.keras"):
        sweep(spelling, mlp_data, path, scales=(30,))
    assert fake_convert == [30]
    settings = json.loads(next(csv.DictReader(open(path, newline="")))["settings"])
    assert settings["model"] == str(model_file.resolve())
    assert settings[MODEL_HASH] == file_sha256(model_file)


def test_options_given_at_their_defaults_resume(mlp, mlp_data, tmp_path, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path, scales=(30,))
    sweep(mlp, mlp_data, path, scales=(30,), dt=0.001, readout="last", initial_state="uniform", max_rate=None,
          conversion_options={"neuron_type": None, "max_pooling": "spiking"})  # the API default
    sweep(mlp, mlp_data, path, scales=(30,), input_encoding="constant")
    assert fake_convert == [30]


def test_poisson_input_at_its_default_rate_resumes_and_another_rate_does_not(mlp, mlp_data, tmp_path,
                                                                            fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path, scales=(30,), input_encoding="poisson")
    sweep(mlp, mlp_data, path, scales=(30,), input_encoding="poisson", max_rate=1000)
    with pytest.raises(ValueError, match="other settings: 'max_rate' was 1000.0 there and is 500 now"):
        sweep(mlp, mlp_data, path, scales=(30,), input_encoding="poisson", max_rate=500)


def test_the_setting_that_differs_is_named(mlp, mlp_data, tmp_path, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path, scales=(30,), dt=0.001)
    with pytest.raises(ValueError, match=r"other settings: 'dt' was 0.001 there and is 0.002 now; its rows"):
        sweep(mlp, mlp_data, path, scales=(30,), dt=0.002)
    with pytest.raises(ValueError, match=r"'readout' was \"last\" there and is \"mean\" now \(and 1 more: "
                                         r"readout_steps\)"):
        sweep(mlp, mlp_data, path, scales=(30,), readout="mean", readout_steps=3)


def test_a_model_replaced_at_the_same_path_is_refused(mlp, mlp_data, tmp_path, model_file, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(str(model_file), mlp_data, path, scales=(30,))
    retrained = keras.models.clone_model(mlp)
    retrained.set_weights([w + 0.01 for w in mlp.get_weights()])
    retrained.save(model_file)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="other settings: the model file's content was"):
        sweep(str(model_file), mlp_data, path, scales=(30, 60))
    assert path.read_bytes() == before
    assert fake_convert == [30]


def test_an_older_file_without_the_model_hash_resumes_with_a_warning(mlp, mlp_data, tmp_path, monkeypatch,
                                                                     model_file, fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(str(model_file), mlp_data, path, scales=(30,))
    text = path.read_text()
    digest = file_sha256(model_file)
    # As written before hashes: the model named as given on the command line, no hash.
    older = text.replace(f', ""{MODEL_HASH}"": ""{digest}""', "").replace(str(model_file.resolve()), "model.keras")
    assert MODEL_HASH not in older and "model.keras" in older
    path.write_text(older)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match=r"sweep\.csv' was written before sweeps recorded the model file's hash"):
        rows = sweep(str(model_file), mlp_data, path, scales=(30, 60))
    assert fake_convert == [30, 60]
    assert [r["scale"] for r in rows] == [30.0, 60.0]


def test_an_older_python_sweep_without_a_model_name_resumes_with_a_warning(mlp, mlp_data, tmp_path, model_file,
                                                                           fake_convert):
    path = tmp_path / "sweep.csv"
    sweep(mlp, mlp_data, path, scales=(30,))  # a model in memory: neither name nor hash recorded
    with pytest.warns(UserWarning, match="hash"):
        sweep(str(model_file), mlp_data, path, scales=(30,))
    assert fake_convert == [30]
    np.testing.assert_equal(csv_scales(path), [30.0])
