"""Errors of the command line: exit status 2 and one ``snnconvert: error: ...`` line.

By subject: model files (missing, unusable, unsupported), data (missing, malformed, not
finite), option values the commands refuse, and the ones argparse refuses itself.
"""

import h5py
import keras
import numpy as np
import pytest
from cli_helpers import assert_one_error_line

from snnconvert.cli import main

L = keras.layers
COMMANDS = ["inspect", "evaluate", "sweep"]


def command_line(command, model, tiny, tmp_path, *extra):
    """Arguments for ``command`` on ``model`` with the tiny data set and quiet progress."""
    data = [] if command == "inspect" else ["--dataset", tiny.data_path, "--quiet"]
    output = ["--output", tmp_path / "sweep.csv"] if command == "sweep" else []
    return [str(arg) for arg in (command, model, *data, *output, *extra)]


def _tiny_mlp(*middle):
    return keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(), *middle, L.Dense(3, name="out")])


def _save_with_unregistered_layer(path):
    """A model whose custom layer class is unknown when the file is read back."""

    class Doubler(L.Layer):
        def call(self, inputs):
            return 2 * inputs

    registered = keras.saving.register_keras_serializable(package="CliBadInput")(Doubler)
    try:
        _tiny_mlp(registered(name="doubler")).save(path)
    finally:
        keras.saving.get_custom_objects().pop("CliBadInput>Doubler", None)


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory, tiny):
    """Unusable model files by case name (the tiny CNN's files are the starting point)."""
    folder = tmp_path_factory.mktemp("bad_models")
    files = {}
    rng = np.random.default_rng(7)
    for suffix in (".h5", ".keras"):
        kind = suffix.strip(".")
        files[f"empty_{kind}"] = folder / f"empty{suffix}"
        files[f"empty_{kind}"].touch()
        whole = folder / f"whole{suffix}"
        tiny.model.save(whole)
        files[f"truncated_{kind}"] = folder / f"truncated{suffix}"
        files[f"truncated_{kind}"].write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        files[f"noise_{kind}"] = folder / f"noise{suffix}"
        files[f"noise_{kind}"].write_bytes(rng.bytes(4096))
        files[f"custom_{kind}"] = folder / f"custom{suffix}"
        _save_with_unregistered_layer(files[f"custom_{kind}"])
        files[f"lambda_{kind}"] = folder / f"lambda{suffix}"
        _tiny_mlp(L.Lambda(lambda t: t * t, name="square")).save(files[f"lambda_{kind}"])
        files[f"any_size_{kind}"] = folder / f"any_size{suffix}"
        inputs = keras.Input((None, None, 1), name="any_size_image")
        features = L.GlobalAveragePooling2D()(L.Conv2D(2, 3, activation="relu")(inputs))
        keras.Model(inputs, L.Dense(3)(features)).save(files[f"any_size_{kind}"])
    files["weights_only"] = folder / "tiny.weights.h5"
    tiny.model.save_weights(files["weights_only"])
    files["no_model"] = folder / "measurements.h5"
    with h5py.File(files["no_model"], "w") as file:
        file.create_dataset("data", data=np.arange(10))
    return files


@pytest.fixture(scope="module")
def mismatched_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("mismatch") / "five.npz"
    np.savez(path, x=np.zeros((6, 5, 5), np.uint8), y=np.zeros(6, int))
    return path


@pytest.fixture(scope="module")
def non_finite_data(tmp_path_factory, tiny):
    """``{"nan": path, "inf": path}``: the tiny images as floats with one bad pixel in sample 5."""
    folder = tmp_path_factory.mktemp("non_finite")
    paths = {}
    for name, value in (("nan", np.nan), ("inf", np.inf)):
        images = tiny.images.astype(np.float32) / 255
        images[5, 2, 3] = value
        paths[name] = folder / f"{name}.npz"
        np.savez(paths[name], x=images, y=tiny.labels)
    return paths


# ----------------------------------------------------------------- model files


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_missing_model_file(capsys, tiny, tmp_path, command, suffix):
    missing = tmp_path / f"absent{suffix}"
    captured = assert_one_error_line(capsys, command_line(command, missing, tiny, tmp_path))
    assert captured.err == f"snnconvert: error: Model file '{missing}' does not exist.\n"
    assert captured.out == ""


def test_corrupt_model_file(capsys, tiny, tmp_path):
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"not an hdf5 file" * 8)
    assert_one_error_line(capsys, ["inspect", corrupt], "corrupt.h5", "HDF5")


FILE_CASES = [
    ("empty_h5", ["empty"]),
    ("empty_keras", ["empty"]),
    ("truncated_h5", ["HDF5", "truncated or corrupt"]),
    ("truncated_keras", [".keras archive", "truncated or corrupt"]),
    ("noise_h5", ["HDF5", "corrupt"]),
    ("noise_keras", [".keras archive", "corrupt"]),
    ("weights_only", ["only weights", "no model architecture", "load_weights"]),
    ("no_model", ["holds no Keras model", "model_config", "['data']"]),
    ("custom_h5", ["custom", "Doubler", "custom_objects"]),
    ("custom_keras", ["custom", "Doubler", "custom_objects"]),
    ("lambda_h5", ["Lambda", "['square']", "safe mode", "safe_mode=False", "non_spiking=['square']"]),
    ("lambda_keras", ["Lambda", "['square']", "safe mode", "safe_mode=False", "non_spiking=['square']"]),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case, fragments", FILE_CASES, ids=[case for case, _ in FILE_CASES])
def test_unusable_model_file(capsys, tiny, tmp_path, bad_models, command, case, fragments):
    path = bad_models[case]
    assert_one_error_line(capsys, command_line(command, path, tiny, tmp_path), str(path), *fragments)


@pytest.mark.parametrize("name", ["layernorm", "lstm"])
@pytest.mark.parametrize("command", ["inspect", "evaluate"])
def test_unsupported_layer(capsys, tiny, unsupported_models, name, command):
    path, layer_type = unsupported_models[name]
    data = [] if command == "inspect" else ["--dataset", tiny.data_path]
    assert_one_error_line(capsys, [command, path, *data], f"'{name}'", layer_type)


def test_inspect_of_a_model_with_unknown_image_size(capsys, tiny, tmp_path, bad_models):
    for suffix in ("h5", "keras"):
        assert_one_error_line(capsys, command_line("inspect", bad_models[f"any_size_{suffix}"], tiny, tmp_path),
                              "'any_size_image'", "unknown dimensions", "(None, None, None, 1)")


@pytest.mark.parametrize("command", ["evaluate", "sweep"])
def test_evaluating_a_model_with_unknown_image_size_names_the_model_problem(capsys, tiny, tmp_path, bad_models,
                                                                          command):
    assert_one_error_line(capsys, command_line(command, bad_models["any_size_keras"], tiny, tmp_path),
                          "'any_size_image'", "unknown dimensions")


# ------------------------------------------------------------------------ data


def test_unknown_dataset(capsys, tiny):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "cifar10"],
                          "'cifar10'", "mnist, fashion_mnist, digits")


def test_missing_npz_file(capsys, tiny, tmp_path):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", tmp_path / "absent.npz"],
                          "absent.npz", "does not exist")


def test_missing_data_directory(capsys, tiny, tmp_path):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist",
                                   "--data-dir", tmp_path / "nowhere"], "nowhere")


def test_failed_download_is_one_line(capsys, tiny, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.delenv("SNNCONVERT_DATA", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist"], "SNNCONVERT_DATA")


def test_truncated_npz(capsys, tiny, tmp_path):
    whole = tmp_path / "whole.npz"
    np.savez(whole, x=tiny.images, y=tiny.labels)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", truncated], "truncated.npz")


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


@pytest.mark.parametrize("command", ["evaluate", "sweep"])
def test_data_shape_mismatch_names_both_shapes(capsys, tiny, tmp_path, mismatched_data, command):
    argv = command_line(command, tiny.model_path, tiny, tmp_path)
    argv[argv.index("--dataset") + 1] = str(mismatched_data)
    assert_one_error_line(capsys, argv, "(5, 5)", "(4, 4, 1)")


@pytest.mark.parametrize("command", ["evaluate", "sweep"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_data(capsys, tiny, tmp_path, non_finite_data, command, value):
    argv = command_line(command, tiny.model_path, tiny, tmp_path)
    argv[argv.index("--dataset") + 1] = str(non_finite_data[value])
    assert_one_error_line(capsys, argv, "NaN or infinite", "sample 5", value, "position (2, 3, 0)")


@pytest.mark.parametrize("images", [np.full((6, 4, 4), "a"), np.ones((6, 4, 4), np.complex64)],
                         ids=["text", "complex"])
def test_data_that_is_not_real_numbers(capsys, tiny, tmp_path, images):
    path = tmp_path / "odd.npz"
    np.savez(path, x=images, y=np.zeros(6, int))
    argv = command_line("evaluate", tiny.model_path, tiny, tmp_path)
    argv[argv.index("--dataset") + 1] = str(path)
    assert_one_error_line(capsys, argv, "real numbers", str(images.dtype))


# --------------------------------------------------------------- option values


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


OPTION_CASES = [
    ("evaluate", ["--dt", "-0.001"], ["--dt", "Received: --dt -0.001"]),
    ("evaluate", ["--dt", "inf"], ["--dt", "Received: --dt inf"]),
    ("sweep", ["--dt", "0"], ["--dt", "Received: --dt 0"]),
    ("evaluate", ["--n-steps", "-5"], ["--n-steps", "Received: --n-steps -5"]),
    ("sweep", ["--n-steps", "5", "0"], ["--n-steps", "Received: --n-steps 0"]),
    ("sweep", ["--synapse", "0", "-1"], ["--synapse", "Received: --synapse -1"]),
    ("inspect", ["--synapse", "-1"], ["--synapse", "Received: --synapse -1"]),
    ("evaluate", ["--scale", "nan"], ["--scale", "nan"]),
    ("evaluate", ["--scale", "inf"], ["--scale", "inf"]),
    ("sweep", ["--scale", "10", "-1"], ["--scale", "Received: --scale -1"]),
    ("sweep", ["--batch-size", "-1"], ["--batch-size", "Received: --batch-size -1"]),
]


@pytest.mark.parametrize("command, options, fragments", OPTION_CASES,
                         ids=[f"{command} {' '.join(options)}" for command, options, _ in OPTION_CASES])
def test_nonsensical_option_values(capsys, tiny, tmp_path, command, options, fragments):
    assert_one_error_line(capsys, command_line(command, tiny.model_path, tiny, tmp_path, *options), *fragments)


# -------------------------------------------------------------------- argparse


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


NOT_A_NUMBER = [
    ("evaluate", ["--dt", "fast"], "--dt", "'fast'"),
    ("evaluate", ["--n-steps", "2.5"], "--n-steps", "'2.5'"),
    ("sweep", ["--n-steps", "10", "many"], "--n-steps", "'many'"),
    ("evaluate", ["--synapse", "slow"], "--synapse", "'slow'"),
    ("evaluate", ["--batch-size", "all"], "--batch-size", "'all'"),
    ("evaluate", ["--n-test", "1e3"], "--n-test", "'1e3'"),
]


@pytest.mark.parametrize("command, options, option, value", NOT_A_NUMBER,
                         ids=[f"{command} {' '.join(options)}" for command, options, _, _ in NOT_A_NUMBER])
def test_values_that_are_not_numbers_are_refused_by_argparse(capsys, tiny, tmp_path, command, options, option,
                                                             value):
    """argparse prints its usage, then one error line naming the option and the value."""
    with pytest.raises(SystemExit) as exit_info:
        main(command_line(command, tiny.model_path, tiny, tmp_path, *options))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert errors == [err.splitlines()[-1]]
    assert errors[0].startswith(f"snnconvert {command}: error: argument {option}")
    assert value in errors[0]
