"""``snnconvert evaluate --strategy``: mirrored over two logical CPUs reports what the
default strategy reports; multiworker without TF_CONFIG says what to set."""

import json

import pytest

from snnconvert.cli.main import main


def _evaluate_args(tiny, output, strategy):
    return ["evaluate", str(tiny.model_path), "--dataset", str(tiny.data_path), "--scale", "100",
            "--n-steps", "10", "--batch-size", "9", "--quiet", "--strategy", strategy, "--output", str(output)]


def test_mirrored_over_two_cpus_reports_the_default_result(tiny, run_cli_on_two_cpus, capsys):
    mirrored = tiny.folder / "cli_mirrored.json"
    log = run_cli_on_two_cpus(_evaluate_args(tiny, mirrored, "mirrored"))
    assert "strategy mirrored: 2 replica(s)" in log
    assert "batches split across replicas (samples, replicas): [(9, 2), (9, 2), (5, 2)]" in log
    default = tiny.folder / "cli_default.json"
    assert main(_evaluate_args(tiny, default, "default")) == 0
    got, expected = json.loads(mirrored.read_text()), json.loads(default.read_text())
    assert (got["strategy"], got["replicas"], expected["replicas"]) == ("mirrored", 2, 1)
    assert expected["spikes_per_image"] > 10
    for key in ("snn_accuracy", "keras_accuracy", "accuracy_per_step", "spikes_per_image", "n_images"):
        assert got[key] == expected[key], key
    assert [(layer["layer"], layer["total_spikes"]) for layer in got["layers"]] == [
        (layer["layer"], layer["total_spikes"]) for layer in expected["layers"]]


@pytest.mark.parametrize(("tf_config", "message"), [
    (None, "needs the TF_CONFIG environment variable, which is not set"),
    ("{not json", "TF_CONFIG must be JSON with cluster.worker and task.index"),
    ('{"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 1}}', "from 0 to 0"),
    ('{"cluster": {"worker": ["localhost:1", "localhost:2"]}, "task": {"type": "worker", "index": "1"}}',
     "task.index must be an integer from 0 to 1"),
    ('{"cluster": {"chief": ["localhost:1"], "worker": ["localhost:2"]}, "task": {"type": "chief", "index": 0}}',
     "no 'chief'"),
])
def test_multiworker_without_a_valid_tf_config_says_to_set_it(tiny, monkeypatch, capsys, tf_config, message):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    assert main(_evaluate_args(tiny, tiny.folder / "unused.json", "multiworker")) == 2
    error = capsys.readouterr().err
    assert message in error and "Set TF_CONFIG on every machine" in error
    assert not (tiny.folder / "unused.json").exists()


def test_unknown_strategy_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "model.keras", "--dataset", "digits", "--strategy", "tpu"])
    assert "default, mirrored, multiworker" in capsys.readouterr().err.replace("'", "")

