"""``snnconvert sweep --strategy``: mirrored over two logical CPUs writes the rows the
default strategy writes, and records the strategy; its checks are evaluate's."""

import csv
import json

import pytest

from snnconvert.cli.main import main

# Every column but the wall time, which depends on the machine.
MEASURED = ("scale", "synapse", "n_steps", "accuracy", "keras_accuracy", "spikes_per_image",
            "synaptic_ops_per_image", "time_to_accuracy_steps")


def _sweep_args(tiny, output, strategy):
    return ["sweep", str(tiny.model_path), "--dataset", str(tiny.data_path), "--scale", "100", "300",
            "--synapse", "0", "0.01", "--n-steps", "10", "--batch-size", "9", "--quiet", "--strategy", strategy,
            "--output", str(output)]


def _rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_mirrored_sweep_over_two_cpus_writes_the_default_rows(tiny, run_cli_on_two_cpus, capsys):
    mirrored = tiny.folder / "sweep_mirrored.csv"
    log = run_cli_on_two_cpus(_sweep_args(tiny, mirrored, "mirrored"))
    assert "strategy mirrored: 2 replica(s)" in log
    assert f"batches split across replicas (samples, replicas): {[(9, 2), (9, 2), (5, 2)] * 4}" in log
    default = tiny.folder / "sweep_default.csv"
    assert main(_sweep_args(tiny, default, "default")) == 0
    got, expected = _rows(mirrored), _rows(default)
    assert len(expected) == 4
    assert len({row["spikes_per_image"] for row in expected}) == 4  # every combination fires differently
    assert min(float(row["spikes_per_image"]) for row in expected) > 20
    assert [[row[key] for key in MEASURED] for row in got] == [[row[key] for key in MEASURED] for row in expected]
    recorded, plain = json.loads(got[0]["settings"]), json.loads(expected[0]["settings"])
    assert (recorded["strategy"], recorded["replicas"]) == ("mirrored", 2)
    assert "strategy" not in plain and "replicas" not in plain  # default sweeps resume as before
    assert {key: value for key, value in recorded.items() if key not in ("strategy", "replicas")} == plain

    # The strategy is part of what a resume must match.
    assert main(_sweep_args(tiny, mirrored, "default")) == 2
    assert "other settings" in capsys.readouterr().err


def test_multiworker_sweep_without_tf_config_says_to_set_it(tiny, monkeypatch, capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    output = tiny.folder / "sweep_unused.csv"
    assert main(_sweep_args(tiny, output, "multiworker")) == 2
    error = capsys.readouterr().err
    assert "needs the TF_CONFIG environment variable" in error and "Set TF_CONFIG on every machine" in error
    assert not output.exists()


def test_unknown_sweep_strategy_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "model.keras", "--dataset", "digits", "--output", "unused.csv", "--strategy", "tpu"])
    assert "default, mirrored, multiworker" in capsys.readouterr().err.replace("'", "")
