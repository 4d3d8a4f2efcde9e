"""Start-up of the command line: --help and bad arguments answered before TensorFlow loads,
no TensorFlow noise on stderr, messages in flag names, and defaults that are the API's
or say why not."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_one_error_line, run

import snnconvert
from snnconvert.cli import options
from snnconvert.cli.main import build_parser, in_flag_terms
from snnconvert.cli.quiet import keep_lines
from snnconvert.reports.layers import format_layer_rows, layer_rows

REPO = Path(__file__).resolve().parents[2]
# What TensorFlow writes at start-up on a machine without a GPU; none of it may show.
TF_NOISE = ("cuda", "absl", "onednn", "cpu_feature_guard", "e0000")


def snnconvert_process(*argv, env=None):
    """Run ``python -X importtime -m snnconvert argv``: ``(exit code, stdout, stderr without
    the import-time lines, names of the modules imported)``."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the user's shell, not CI's, sets nothing
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "snnconvert", *map(str, argv)],
                          capture_output=True, text=True, env=environment, timeout=300)
    lines = done.stderr.splitlines()
    imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
    other = "\n".join(line for line in lines if not line.startswith("import time:"))
    return done.returncode, done.stdout, other, imported


def assert_no_tensorflow_noise(err):
    for word in TF_NOISE:
        assert word not in err.lower(), err


# ------------------------------------------------------------------ before TensorFlow


@pytest.mark.parametrize("argv", [["--help"], ["evaluate", "--help"], ["sweep", "--help"], ["export", "--help"]])
def test_help_answers_without_loading_tensorflow(argv):
    code, out, err, imported = snnconvert_process(*argv)
    assert code == 0 and out.startswith("usage: snnconvert")
    assert "snnconvert.cli.main" in imported
    assert not {"tensorflow", "keras"} & imported
    assert err == ""


@pytest.mark.parametrize("extra, fragments", [
    (["--dataset", "mnst"], ["Unknown dataset 'mnst'", "Did you mean 'mnist'?"]),
    (["--dataset", "mnist", "--scale", "-1"], ["--scale", "-1"]),
    (["--dataset", "mnist", "--n-steps", "0"], ["--n-steps", "0"]),
    (["--dataset", "absent.npz"], ["absent.npz", "does not exist"]),
])
def test_bad_arguments_are_refused_before_tensorflow_loads(tmp_path, extra, fragments):
    model = tmp_path / "model.h5"
    model.write_bytes(b"checked only once TensorFlow is loaded")
    code, out, err, imported = snnconvert_process("evaluate", model, *extra, env={"SNNCONVERT_DATA": str(tmp_path)})
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("snnconvert: error: ")
    for fragment in fragments:
        assert fragment in err
    assert "tensorflow" not in imported


def test_a_missing_model_file_is_refused_before_tensorflow_loads(tmp_path):
    code, _, err, imported = snnconvert_process("inspect", tmp_path / "absent.keras")
    assert (code, err) == (2, f"snnconvert: error: Model file '{tmp_path / 'absent.keras'}' does not exist.")
    assert "tensorflow" not in imported


def test_an_error_after_tensorflow_loaded_is_the_only_line_on_stderr(tmp_path):
    """A corrupt model file is found only by reading it, with TensorFlow loaded: its start-up
    messages (written by C++ before logging is set up, and CUDA's probe) must not show."""
    model = tmp_path / "corrupt.h5"
    model.write_bytes(b"not an HDF5 file" * 8)
    code, out, err, imported = snnconvert_process("inspect", model)
    assert "tensorflow" in imported
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("snnconvert: error: ") and "corrupt.h5" in err
    assert_no_tensorflow_noise(err)


def test_importing_the_package_loads_no_tensorflow():
    code = "import sys, snnconvert, snnconvert.cli; print('tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "False", done.stderr


def test_the_package_names_still_resolve():
    # Submodules as attributes of the package, without importing them first (as eager imports allowed).
    code = ("import snnconvert; f, L = snnconvert.export.to_nir, snnconvert.neurons.LIF; "
            "from snnconvert.export import to_nir; from snnconvert.neurons import LIF; "
            "print(f is to_nir, L is snnconvert.LIF is LIF)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.split() == ["True", "True"], done.stderr
    from snnconvert.conversion import convert

    assert snnconvert.convert is convert
    assert set(snnconvert.__all__) <= set(dir(snnconvert))
    for name in snnconvert.__all__:
        assert getattr(snnconvert, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'konvert'"):
        snnconvert.konvert  # noqa: B018


# ---------------------------------------------------------------------- stderr filter


NO_GPU_START_UP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796325080.550631    5170 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
    "GPU will not be used.",
    "I0000 00:00:1796325080.613309    5170 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate "
    "compiler flags.",
    "I0000 00:00:1733000000.000000    5170 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "E0000 00:00:1796325126.592839    6179 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
    "Failed call to cuInit: UNKNOWN ERROR (303)",
]


def test_the_start_up_notices_of_a_machine_without_gpu_are_dropped():
    assert keep_lines(NO_GPU_START_UP) == []


def test_lines_that_may_matter_are_kept():
    real = ["/usr/lib/python3/site-packages/foo.py:3: UserWarning: something real",
            "E0000 00:00:1796325126.592839    6179 some_op.cc:12] could not allocate 9 GB",
            "F0000 00:00:1796325126.592839    6179 main.cc:1] Check failed: x"]
    assert keep_lines(NO_GPU_START_UP + real) == real
    # With a driver present, cuInit failing is news: the GPU is not used.
    cuinit = NO_GPU_START_UP[-1]
    assert keep_lines([cuinit]) == [cuinit]


# -------------------------------------------------------------------- flag names


def test_a_typo_of_a_dataset_name_suggests_the_close_one(capsys, tiny):
    for typo, meant in (("mnst", "mnist"), ("fashion-mnist", "fashion_mnist"), ("digit", "digits")):
        assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", typo],
                              f"Unknown dataset {typo!r}", f"Did you mean {meant!r}?")
    captured = assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "cifar10"], "'cifar10'")
    assert "Did you mean" not in captured.err


@pytest.mark.parametrize("option, value, flag", [
    ("--scale", "0", "--scale"), ("--synapse", "-1", "--synapse"), ("--n-steps", "0", "--n-steps"),
    ("--dt", "0", "--dt"), ("--batch-size", "0", "--batch-size"), ("--pixel-scale", "-255", "--pixel-scale"),
    ("--percentile", "101", "--percentile"), ("--calibration-samples", "0", "--calibration-samples"),
])
def test_bad_values_are_named_by_their_flag(capsys, tiny, option, value, flag):
    captured = assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", tiny.data_path,
                                              option, value], f"{flag} ", value)
    for api_name in options.FLAGS:
        assert f"`{api_name}`" not in captured.err and f"{api_name}=" not in captured.err


def test_a_missing_data_folder_is_named_by_its_flag(capsys, tiny, tmp_path, monkeypatch):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist", "--data-dir",
                                   tmp_path / "nowhere"], "--data-dir", "nowhere")
    monkeypatch.setenv("SNNCONVERT_DATA", str(tmp_path / "elsewhere"))
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist"],
                          "$SNNCONVERT_DATA", "elsewhere")


def test_api_messages_are_reworded_to_flags():
    assert in_flag_terms("`n_steps` must be >= 1. Received: n_steps=0") == \
        "`--n-steps` must be >= 1. Received: --n-steps=0"
    assert in_flag_terms("set SNNCONVERT_DATA (or pass `data_dir`) to a folder") == \
        "set SNNCONVERT_DATA (or pass `--data-dir`) to a folder"
    assert in_flag_terms("`scale_firing_rates` must be > 0, `custom_objects` too") == \
        "`--scale` must be > 0, `custom_objects` too"  # no flag sets custom_objects
    # Advice on what to do in Python (here for a file only Python can load) stays in its terms.
    python_advice = "load it with keras.models.load_model(path, safe_mode=False) and convert with non_spiking=['x']"
    assert in_flag_terms(python_advice) == python_advice


def test_the_data_folder_in_an_api_message_is_named_by_its_flag(capsys, tiny, tmp_path):
    assert_one_error_line(capsys, ["evaluate", tiny.model_path, "--dataset", "mnist", "--data-dir", tmp_path],
                          "--data-dir", "mnist")
    assert "`data_dir`" not in capsys.readouterr().err


# ---------------------------------------------------------------------- defaults


def test_the_choices_are_the_apis():
    from snnconvert import calibration
    from snnconvert.conversion import context
    from snnconvert.metrics import evaluation
    from snnconvert.neurons import NEURON_TYPES
    from snnconvert.simulation import encoding, state

    assert options.NEURON_TYPES == tuple(NEURON_TYPES)
    assert (options.MAX_POOLING_MODES, options.NON_SPIKING_MODES) == \
        (context.MAX_POOLING_MODES, context.NON_SPIKING_MODES)
    assert (options.INITIAL_STATES, options.INPUT_ENCODINGS) == (state.INITIAL_STATES, encoding.INPUT_ENCODINGS)
    assert (options.DEFAULT_MAX_RATE, options.READOUTS) == (encoding.DEFAULT_MAX_RATE, evaluation.READOUTS)
    assert (options.DEFAULT_PERCENTILE, options.DEFAULT_TARGET_RATE) == \
        (calibration.DEFAULT_PERCENTILE, calibration.DEFAULT_TARGET_RATE)


def test_defaults_are_the_apis_or_auto_where_data_is_at_hand(capsys):
    parser = build_parser()
    evaluate = parser.parse_args(["evaluate", "m.h5", "--dataset", "mnist"])
    sweep = parser.parse_args(["sweep", "m.h5", "--dataset", "mnist", "--output", "s.csv"])
    export = parser.parse_args(["export", "m.h5", "-o", "m.nir"])
    assert (evaluate.scale, evaluate.synapse) == ("auto", None)
    assert (sweep.scale, sweep.synapse) == (["auto"], None)
    assert (export.scale, export.synapse) == (1.0, None)
    for command in ("evaluate", "sweep", "export"):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())  # unwrapped
        assert "0 for none (default: the Python API's default" in text
        assert "convert() defaults to 1" in text or "default 1, as in the Python API's convert()" in text


def test_inspect_without_options_shows_the_network_the_api_converts(capsys, tiny):
    code, out, err = run(capsys, "inspect", tiny.model_path)
    assert code == 0 and err == ""
    network = snnconvert.convert(str(tiny.model_path))
    assert format_layer_rows(layer_rows(tiny.model, network.graph)) in out


def test_evaluate_calibrates_by_default(capsys, tiny, tmp_path):
    report_path = tmp_path / "report.json"
    code, out, _ = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--n-steps", 5,
                       "--output", report_path, "--quiet")
    assert code == 0 and "calibration: 40 samples" in out
    report = json.loads(report_path.read_text())
    assert report["scale"] == "auto" and report["synapse"] is None
    assert report["calibration"]["n_samples"] == 40


def test_the_kernels_are_built_before_any_progress_bar(capsys, tiny, monkeypatch):
    """Building them prints a note; inside a bar it would break the bar's line."""
    from snnconvert.simulation import kernels

    available = kernels.available

    def announcing():
        print("snnconvert: compiling its CPU kernels", file=sys.stderr)
        return available()

    monkeypatch.setattr(kernels, "available", announcing)
    code, _, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--n-steps", 3)
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == "snnconvert: compiling its CPU kernels" and "simulating" in err
