"""Errors of the command line: exit status 2 and one ``snnconvert: error: ...`` line."""


import numpy as np
import pytest
from cli_helpers import assert_one_error_line

from snnconvert.cli import main


@pytest.fixture(scope="module")
def mismatched_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("mismatch") / "five.npz"
    np.savez(path, x=np.zeros((6, 5, 5), np.uint8), y=np.zeros(6, int))
    return path


def test_missing_model_file(capsys, tiny, tmp_path):
    missing = tmp_path / "absent.h5"
    captured = assert_one_error_line(capsys, ["evaluate", missing, "--dataset", tiny.data_path])
    assert captured.err == f"snnconvert: error: Model file '{missing}' does not exist.\n"
    assert captured.out == ""


def test_corrupt_model_file(capsys, tiny, tmp_path):
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"not an hdf5 file" * 8)
    assert_one_error_line(capsys, ["inspect", corrupt], "corrupt.h5", "HDF5")


def test_unknown_dataset(capsys, tiny):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "cifar10"],
                          "'cifar10'", "mnist, fashion_mnist, digits")


def test_missing_npz_file(capsys, tiny, tmp_path):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", tmp_path / "absent.npz"],
                          "absent.npz", "does not exist")


def test_missing_data_directory(capsys, tiny, tmp_path):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist",
                                   "--data-dir", tmp_path / "nowhere"], "nowhere")


@pytest.mark.parametrize("command", ["evaluate", "sweep", "inspect"])
@pytest.mark.parametrize("scale", ["0", "-3"])
def test_scale_must_be_positive(capsys, tiny, tmp_path, command, scale):
    data = [] if command == "inspect" else ["--dataset", tiny.data_path, "--quiet"]
    output = ["--output", tmp_path / "s.csv"] if command == "sweep" else []
    assert_one_error_line(capsys, [command, tiny.model_path, *data, *output, "--scale", scale],
                          f"--scale {float(scale):g}")


@pytest.mark.parametrize("command", ["evaluate", "sweep"])
def test_n_steps_zero(capsys, tiny, tmp_path, command):
    output = ["--output", tmp_path / "s.csv"] if command == "sweep" else []
    captured = assert_one_error_line(capsys, [command, tiny.model_path, "--dataset", tiny.data_path, *output,
                                              "--n-steps", "0", "--quiet"])
    assert captured.err == "snnconvert: error: --n-steps must be >= 1. Received: --n-steps 0\n"


@pytest.mark.parametrize("synapse", ["-0.005", "nan"])
def test_synapse_must_be_a_positive_number_or_zero(capsys, tiny, synapse):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", tiny.data_path, "--synapse", synapse],
                          "synapse", synapse)


@pytest.mark.parametrize("option, value, name", [
    ("--n-test", "0", "--n-test"),
    ("--pixel-scale", "0", "--pixel-scale"),
    ("--pixel-scale", "-255", "--pixel-scale"),
    ("--batch-size", "0", "--batch-size"),
    ("--dt", "0", "--dt"),
    ("--readout-steps", "0", "--readout-steps"),
])
def test_other_nonsensical_numbers(capsys, tiny, option, value, name):
    argv = ["evaluate", tiny.model_path, "--dataset", tiny.data_path, option, value, "--quiet"]
    if option == "--readout-steps":
        argv += ["--readout", "mean"]
    assert_one_error_line(capsys, argv, name)


def test_data_shape_mismatch_names_both_shapes(capsys, tiny, mismatched_data):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", mismatched_data],
                          "(5, 5)", "(4, 4, 1)")


@pytest.mark.parametrize("name", ["layernorm", "lstm"])
@pytest.mark.parametrize("command", ["inspect", "evaluate"])
def test_unsupported_layer(capsys, tiny, unsupported_models, name, command):
    path, layer_type = unsupported_models[name]
    data = [] if command == "inspect" else ["--dataset", tiny.data_path]
    assert_one_error_line(capsys, [command, path, *data], f"'{name}'", layer_type)


def test_wrong_npz_keys(capsys, tiny, tmp_path):
    path = tmp_path / "keys.npz"
    np.savez(path, images=tiny.images, labels=tiny.labels)
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", path], "['images', 'labels']")


def test_empty_dataset_in_evaluate(capsys, tiny, tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path, x=np.zeros((0, 4, 4), np.uint8), y=np.zeros(0, int))
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", path, "--quiet"], "empty")


def test_empty_dataset_in_sweep(capsys, tiny, tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path, x=np.zeros((0, 4, 4), np.uint8), y=np.zeros(0, int))
    assert_one_error_line(capsys, ["sweep", tiny.model_path, "--dataset", path, "--output", tmp_path / "s.csv",
                                   "--quiet"], "empty")


def test_truncated_npz(capsys, tiny, tmp_path):
    whole = tmp_path / "whole.npz"
    np.savez(whole, x=tiny.images, y=tiny.labels)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", truncated], "truncated.npz")


def test_failed_download_is_one_line(capsys, tiny, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.delenv("SNNCONVERT_DATA", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist"], "SNNCONVERT_DATA")


# ---------------------------------------------------------------- argparse


@pytest.mark.parametrize("argv, fragment", [
    (["evaluate", "MODEL"], "--dataset"),
    (["sweep", "MODEL", "--dataset", "d.npz"], "--output"),
    ([], "COMMAND"),
    (["evaluate", "MODEL", "--dataset", "d.npz", "--scale", "ten"], "--scale"),
    (["evaluate", "MODEL", "--dataset", "d.npz", "--neuron-type", "izhikevich"], "--neuron-type"),
    (["evaluate", "MODEL", "--dataset", "d.npz", "--initial-state", "random"], "--initial-state"),
    (["inspect", "MODEL", "--scale", "1", "2"], "unrecognized arguments"),
])
def test_argparse_errors_exit_2(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert fragment in err
    assert err.splitlines()[-1].startswith("snnconvert")
