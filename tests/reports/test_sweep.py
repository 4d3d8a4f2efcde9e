"""``run_sweep``: one row per combination, written as it finishes, resumable; ``plot_sweep``."""

import csv
import types

import numpy as np
import pytest

import snnconvert
from snnconvert.metrics.evaluation import as_labels
from snnconvert.reports import sweep as sweep_module
from snnconvert.reports.operations import synaptic_operations
from snnconvert.reports.sweep import SWEEP_FIELDS, plot_sweep, run_sweep

SCALES = (30.0, 300.0)
SYNAPSES = (0.0, 0.005)


def read_csv(path):
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        return reader.fieldnames, list(reader)


class FakeNetwork:
    """Stands in for a converted network: ``evaluate`` answers at once, from the options.

    Accuracy is ``scale / 1000`` and spikes per image ``scale * n_steps``, so each row
    can be traced back to the options it was run with; ``evaluate_calls`` records them.
    """

    def __init__(self, model, options, evaluate_calls):
        self.model = model
        self.options = options
        self.evaluate_calls = evaluate_calls
        self.graph = None

    def evaluate(self, x, y, n_steps, **options):
        self.evaluate_calls.append({"n_steps": n_steps, **options})
        scale = self.options["scale_firing_rates"]
        simulation = types.SimpleNamespace(n_images=x.shape[0] if hasattr(x, "shape") else 30)
        keras_accuracy = None
        if options.get("compare_keras"):
            labels = as_labels(y, len(y))
            keras_accuracy = float(np.mean(np.asarray(self.model(x)).argmax(axis=1) == labels))
        return types.SimpleNamespace(accuracy=scale / 1000, spikes_per_image=scale * n_steps,
                                     activity={}, simulation=simulation, keras_accuracy=keras_accuracy,
                                     time_to_accuracy=lambda tolerance: n_steps // 2)


@pytest.fixture
def fake_convert(monkeypatch):
    """Replace the sweep's ``convert`` by a fake; returns (convert calls, evaluate calls)."""
    convert_calls, evaluate_calls = [], []

    def fake(model, **options):
        convert_calls.append(options)
        return FakeNetwork(model, options, evaluate_calls)

    monkeypatch.setattr(sweep_module, "convert", fake)
    return convert_calls, evaluate_calls


@pytest.fixture(scope="module")
def full_sweep(mlp, mlp_data, tmp_path_factory):
    """A real sweep: 2 scales x 2 synapses x 10 steps (one batch, so one trace per run)."""
    x, y = mlp_data
    path = tmp_path_factory.mktemp("sweep") / "sweep.csv"
    rows = run_sweep(mlp, x, y, scales=SCALES, synapses=SYNAPSES, n_steps=(10,), output=path,
                     batch_size=30, progress=False)
    return rows, path


def test_one_row_per_combination_in_product_order(mlp, mlp_data, fake_convert):
    x, y = mlp_data
    convert_calls, evaluate_calls = fake_convert
    rows = run_sweep(mlp, x, y, scales=(10, 20), synapses=(0, 0.002, 0.01), n_steps=(4, 9), batch_size=7,
                     progress=False, readout="mean", readout_steps=3, dt=0.002, initial_state="half")
    combos = [(scale, synapse, steps) for scale in (10, 20) for synapse in (0, 0.002, 0.01) for steps in (4, 9)]
    assert [(r["scale"], r["synapse"], r["n_steps"]) for r in rows] == combos
    # A synapse of 0 means none; evaluate gets the steps, the batch size and the options.
    assert [(c["scale_firing_rates"], c["synapse"]) for c in convert_calls] == \
        [(scale, synapse or None) for scale, synapse, _ in combos]
    # The Keras model's accuracy is the same for every run: only the first computes it.
    assert evaluate_calls[0] == {"n_steps": 4, "batch_size": 7, "compare_keras": True, "progress": False,
                                 "readout": "mean", "readout_steps": 3, "dt": 0.002, "initial_state": "half"}
    assert [c["compare_keras"] for c in evaluate_calls[1:]] == [False] * (len(combos) - 1)
    assert [c["n_steps"] for c in evaluate_calls] == [steps for _, _, steps in combos]
    for row, (scale, _, steps) in zip(rows, combos):
        assert tuple(row) == SWEEP_FIELDS
        assert row["accuracy"] == scale / 1000
        assert row["spikes_per_image"] == scale * steps
        assert row["synaptic_ops_per_image"] == 0
        assert row["wall_time_s"] >= 0
        assert type(row["scale"]) is float and type(row["synapse"]) is float and type(row["n_steps"]) is int


def test_real_rows_match_an_evaluation_with_the_python_api(full_sweep, mlp, mlp_data):
    rows, _ = full_sweep
    x, y = mlp_data
    keras_accuracy = float(np.mean(np.asarray(mlp(x)).argmax(axis=1) == y))
    assert [(r["scale"], r["synapse"], r["n_steps"]) for r in rows] == \
        [(scale, synapse, 10) for scale in SCALES for synapse in SYNAPSES]
    row = rows[3]  # scale 300, synapse 5 ms
    net = snnconvert.convert(mlp, scale_firing_rates=300, synapse=0.005)
    result = net.evaluate(x, y, 10, batch_size=30, progress=False)
    assert row["accuracy"] == result.accuracy
    assert row["spikes_per_image"] == pytest.approx(result.spikes_per_image)
    synops = sum(synaptic_operations(net.graph, result.activity).values()) / 30
    assert row["synaptic_ops_per_image"] == pytest.approx(synops)
    assert row["time_to_accuracy_steps"] == result.time_to_accuracy(0.005)
    for row in rows:
        assert row["keras_accuracy"] == pytest.approx(keras_accuracy)
        assert row["wall_time_s"] > 0


def test_spikes_per_image_grow_with_scale(full_sweep):
    rows, _ = full_sweep
    by_combo = {(r["scale"], r["synapse"]): r for r in rows}
    for synapse in SYNAPSES:
        low = by_combo[(SCALES[0], synapse)]["spikes_per_image"]
        high = by_combo[(SCALES[1], synapse)]["spikes_per_image"]
        assert 0 < low < high
        # Rates rise about s-fold: 10x the scale gives several times the spikes.
        assert high > 5 * low
        assert by_combo[(SCALES[1], synapse)]["synaptic_ops_per_image"] > \
            by_combo[(SCALES[0], synapse)]["synaptic_ops_per_image"]


def test_csv_holds_the_returned_rows(full_sweep):
    rows, path = full_sweep
    fields, written = read_csv(path)
    assert tuple(fields) == SWEEP_FIELDS
    assert len(written) == len(rows)
    for row, line in zip(rows, written):
        assert int(line["n_steps"]) == row["n_steps"]
        assert line["settings"] == row["settings"]
        for field in SWEEP_FIELDS:
            if field not in ("n_steps", "settings"):
                assert float(line[field]) == row[field]


def test_each_row_is_written_before_the_next_combination_starts(mlp, mlp_data, tmp_path, fake_convert):
    x, y = mlp_data
    path = tmp_path / "live.csv"
    rows_on_disk = []
    fake = sweep_module.convert

    def watching(model, **options):
        rows_on_disk.append(len(read_csv(path)[1]) if path.exists() and path.stat().st_size else None)
        return fake(model, **options)

    sweep_module.convert = watching  # undone by fake_convert's monkeypatch
    run_sweep(mlp, x, y, scales=(30, 60, 120), n_steps=(5,), output=path, progress=False)
    assert rows_on_disk == [0, 1, 2]  # the header is there before the first run
    assert len(read_csv(path)[1]) == 3


def test_resume_skips_combinations_already_in_the_file(mlp, mlp_data, tmp_path, fake_convert):
    x, y = mlp_data
    convert_calls, _ = fake_convert
    path = tmp_path / "resume.csv"
    options = dict(synapses=(0, 0.005), n_steps=(5,), output=path, progress=False)
    first = run_sweep(mlp, x, y, scales=(30,), **options)
    assert len(convert_calls) == 2
    second = run_sweep(mlp, x, y, scales=(30, 300), **options)
    # Only the two new combinations ran; the old rows came back as written (same wall times).
    assert [c["scale_firing_rates"] for c in convert_calls[2:]] == [300, 300]
    assert len(second) == 4
    assert second[:2] == first
    assert [(r["scale"], r["synapse"]) for r in second[2:]] == [(300.0, 0.0), (300.0, 0.005)]
    _, written = read_csv(path)
    assert [(float(r["scale"]), float(r["synapse"])) for r in written] == \
        [(30.0, 0.0), (30.0, 0.005), (300.0, 0.0), (300.0, 0.005)]
    # A third run has nothing left to do and writes nothing.
    third = run_sweep(mlp, x, y, scales=(30, 300), **options)
    assert len(convert_calls) == 4
    assert third == second
    assert len(read_csv(path)[1]) == 4


def test_resume_from_a_real_sweep_file(full_sweep, mlp, mlp_data, tmp_path, fake_convert):
    rows, path = full_sweep
    x, y = mlp_data
    convert_calls, _ = fake_convert
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    resumed = run_sweep(mlp, x, y, scales=SCALES, synapses=SYNAPSES, n_steps=(10,), output=copy,
                        progress=False)
    assert convert_calls == []
    assert resumed == rows
    assert copy.read_bytes() == path.read_bytes()


def test_an_interrupted_sweep_keeps_its_rows_and_resumes(mlp, mlp_data, tmp_path, fake_convert):
    x, y = mlp_data
    path = tmp_path / "interrupted.csv"
    convert_calls, _ = fake_convert
    fake = sweep_module.convert

    def failing_second(model, **options):
        if len(convert_calls) == 1:
            convert_calls.append("interrupted")
            raise KeyboardInterrupt
        return fake(model, **options)

    sweep_module.convert = failing_second
    with pytest.raises(KeyboardInterrupt):
        run_sweep(mlp, x, y, scales=(30, 60, 120), n_steps=(5,), output=path, progress=False)
    assert [float(r["scale"]) for r in read_csv(path)[1]] == [30.0]
    sweep_module.convert = fake
    rows = run_sweep(mlp, x, y, scales=(30, 60, 120), n_steps=(5,), output=path, progress=False)
    assert [c if c == "interrupted" else c["scale_firing_rates"] for c in convert_calls] == \
        [30, "interrupted", 60, 120]
    assert [r["scale"] for r in rows] == [30.0, 60.0, 120.0]
    assert [float(r["scale"]) for r in read_csv(path)[1]] == [30.0, 60.0, 120.0]


def test_a_file_with_foreign_columns_is_refused_and_left_alone(mlp, mlp_data, tmp_path, fake_convert):
    x, y = mlp_data
    path = tmp_path / "other.csv"
    path.write_text("name,value\nalpha,1\n")
    with pytest.raises(ValueError, match="other.csv"):
        run_sweep(mlp, x, y, scales=(30,), n_steps=(5,), output=path, progress=False)
    assert path.read_text() == "name,value\nalpha,1\n"
    assert fake_convert[0] == []


def test_without_output_rows_are_only_returned(mlp, mlp_data, tmp_path, monkeypatch, fake_convert):
    x, y = mlp_data
    monkeypatch.chdir(tmp_path)
    rows = run_sweep(mlp, x, y, scales=(30,), n_steps=(5,), progress=False)
    assert len(rows) == 1 and rows[0]["synapse"] == 0.0
    assert list(tmp_path.iterdir()) == []


def test_keras_accuracy_is_computed_over_all_batches(mlp, mlp_data, fake_convert):
    x, y = mlp_data
    expected = float(np.mean(np.asarray(mlp(x)).argmax(axis=1) == y))
    rows = run_sweep(mlp, x, y, scales=(30,), n_steps=(5,), batch_size=7, progress=False)
    assert rows[0]["keras_accuracy"] == pytest.approx(expected)


def test_one_hot_labels_work_as_in_evaluate(mlp, mlp_data, fake_convert):
    x, y = mlp_data
    expected = float(np.mean(np.asarray(mlp(x)).argmax(axis=1) == y))
    rows = run_sweep(mlp, x, np.eye(3)[y], scales=(30,), n_steps=(5,), batch_size=7, progress=False)
    assert rows[0]["keras_accuracy"] == pytest.approx(expected)


def test_a_dataset_works_as_in_evaluate(mlp, mlp_data):
    import tensorflow as tf

    x, y = mlp_data
    expected = float(np.mean(np.asarray(mlp(x)).argmax(axis=1) == y))
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(10)
    rows = run_sweep(mlp, dataset, None, scales=(30,), n_steps=(5,), progress=False)
    assert rows[0]["keras_accuracy"] == pytest.approx(expected)


def test_plot_sweep_writes_a_png(full_sweep, tmp_path):
    rows, _ = full_sweep
    path = tmp_path / "sweep.png"
    plot_sweep(rows, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000


def test_resume_refuses_rows_made_with_other_settings(mlp, mlp_data, tmp_path, fake_convert):
    x, y = mlp_data
    path = tmp_path / "sweep.csv"
    run_sweep(mlp, x, y, scales=(30,), n_steps=(5,), output=path, progress=False, dt=0.001)
    before = path.read_text()
    # Same combination, other evaluation settings or other data: not the same experiment.
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(mlp, x, y, scales=(30,), n_steps=(5,), output=path, progress=False, dt=0.002)
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(mlp, x[:10], y[:10], scales=(30,), n_steps=(5,), output=path, progress=False, dt=0.001)
    assert path.read_text() == before


def test_resume_refuses_rows_made_with_other_conversion_options(tmp_path, mlp, mlp_data):
    x, y = mlp_data
    path = tmp_path / "sweep.csv"
    run_sweep(mlp, x[:10], y[:10], scales=[30], n_steps=[2], output=path, progress=False,
              conversion_options={"max_pooling": "spiking"})
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(mlp, x[:10], y[:10], scales=[30], n_steps=[2], output=path, progress=False,
                  conversion_options={"max_pooling": "average"})
