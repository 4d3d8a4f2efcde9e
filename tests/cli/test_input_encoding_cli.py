"""``--input-encoding`` and ``--max-rate`` of ``snnconvert evaluate`` and ``sweep``."""

import csv
import json

import numpy as np
import pytest
from cli_helpers import run

import snnconvert
from snnconvert.cli import main


def api_accuracy(tiny, n_steps, **options):
    x = tiny.images[..., None].astype(np.float32) / np.float32(255)
    net = snnconvert.convert(str(tiny.model_path), scale_firing_rates=100, synapse=0.005)
    return net.evaluate(x, tiny.labels, n_steps, progress=False, **options)


def test_evaluate_with_poisson_input_matches_the_api(capsys, tiny, tmp_path):
    report_path = tmp_path / "report.json"
    code, out, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--scale", 100,
                         "--synapse", 0.005, "--n-steps", 20, "--input-encoding", "poisson", "--max-rate", 500,
                         "--quiet", "--output", report_path)
    assert code == 0, err
    report = json.loads(report_path.read_text())
    expected = api_accuracy(tiny, 20, input_encoding="poisson", max_rate=500)
    constant = api_accuracy(tiny, 20)
    assert report["snn_accuracy"] == expected.accuracy
    assert report["spikes_per_image"] == pytest.approx(expected.spikes_per_image)
    assert report["spikes_per_image"] != pytest.approx(constant.spikes_per_image)
    assert (report["input_encoding"], report["max_rate"]) == ("poisson", 500)


def test_poisson_without_max_rate_uses_the_default(capsys, tiny, tmp_path):
    report_path = tmp_path / "report.json"
    code, _, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--scale", 100,
                       "--synapse", 0.005, "--n-steps", 10, "--input-encoding", "poisson", "--quiet",
                       "--output", report_path)
    assert code == 0, err
    report = json.loads(report_path.read_text())
    assert report["max_rate"] == 1000
    assert report["snn_accuracy"] == api_accuracy(tiny, 10, input_encoding="poisson").accuracy


def test_sweep_passes_the_encoding_to_every_run(capsys, tiny, tmp_path):
    csv_path = tmp_path / "sweep.csv"
    code, _, err = run(capsys, "sweep", tiny.model_path, "--dataset", tiny.data_path, "--scale", 100,
                       "--synapse", 0.005, "--n-steps", 10, 20, "--input-encoding", "poisson", "--max-rate", 500,
                       "--quiet", "--output", csv_path)
    assert code == 0, err
    with open(csv_path) as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        n_steps = int(row["n_steps"])
        assert float(row["accuracy"]) == api_accuracy(tiny, n_steps, input_encoding="poisson", max_rate=500).accuracy
    # A resume with another encoding would mix rows made differently: refused.
    code, _, err = run(capsys, "sweep", tiny.model_path, "--dataset", tiny.data_path, "--scale", 100,
                       "--synapse", 0.005, "--n-steps", 10, 20, "--quiet", "--output", csv_path)
    assert code == 2 and "settings" in err.lower()


@pytest.mark.parametrize("argv, message", [
    (["--max-rate", 500], "--max-rate only applies with --input-encoding poisson"),
    (["--input-encoding", "poisson", "--max-rate", 2000], "--max-rate 2000 with --dt 0.001"),
    (["--input-encoding", "poisson", "--pixel-scale", 100], "[0, 1]"),
])
def test_bad_encoding_options_are_refused(capsys, tiny, argv, message):
    code, _, err = run(capsys, "evaluate", tiny.model_path, "--dataset", tiny.data_path, "--n-steps", 5,
                       "--quiet", *argv)
    assert code == 2
    assert message in err


def test_an_unknown_encoding_is_refused_by_the_parser(capsys, tiny):
    with pytest.raises(SystemExit):
        main(["evaluate", str(tiny.model_path), "--dataset", str(tiny.data_path), "--input-encoding", "rate"])
    assert "invalid choice: 'rate'" in capsys.readouterr().err
