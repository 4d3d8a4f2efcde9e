"""``evaluation_report`` and its text form, checked against the ``EvaluationResult``."""

import json

import numpy as np
import pytest

import snnconvert
from snnconvert.reports.evaluation import evaluation_report, format_evaluation_report

# Fan-outs of the hidden layers of ``report_helpers.hidden_mlp`` (non-zero weights per row).
H1_FAN_OUT = [4, 3, 4, 3, 4]
H2_FAN_OUT = [2, 3, 0, 3]


@pytest.fixture(scope="module")
def evaluated(mlp, mlp_data):
    x, y = mlp_data
    net = snnconvert.convert(mlp, scale_firing_rates=300, synapse=0.005)
    result = net.evaluate(x, y, 20, batch_size=16, readout="mean", readout_steps=5, progress=False)
    return net, result


@pytest.fixture(scope="module")
def report(evaluated):
    net, result = evaluated
    return evaluation_report(net, result, model="tiny.h5", dataset="d.npz", scale=300.0, wall_time_s=1.5)


def test_report_repeats_the_result(report, evaluated, mlp, mlp_data):
    _, result = evaluated
    x, y = mlp_data
    keras_accuracy = float(np.mean(np.asarray(mlp(x)).argmax(axis=1) == y))
    assert report["n_images"] == 30 and report["n_steps"] == 20 and report["dt"] == 0.001
    assert report["readout"] == "mean"
    assert report["snn_accuracy"] == result.accuracy
    assert report["keras_accuracy"] == pytest.approx(keras_accuracy)
    assert report["accuracy_per_step"] == pytest.approx(list(result.accuracy_per_step))
    assert len(report["accuracy_per_step"]) == 20
    # Context is stored as given.
    assert (report["model"], report["dataset"], report["scale"], report["wall_time_s"]) == \
        ("tiny.h5", "d.npz", 300.0, 1.5)


def test_spike_totals_are_consistent(report, evaluated):
    _, result = evaluated
    layers = {layer["layer"]: layer for layer in report["layers"]}
    assert list(layers) == ["h1", "h2"]
    for name, layer in layers.items():
        activity = result.activity[name]
        assert layer["total_spikes"] == result.spikes_per_layer[name] == int(activity.per_neuron.sum())
        assert layer["total_spikes"] > 0
        assert layer["neurons"] == {"h1": 5, "h2": 4}[name]
        assert layer["spikes_per_image"] == pytest.approx(layer["total_spikes"] / 30)
    total = sum(layer["total_spikes"] for layer in layers.values())
    assert report["spikes_per_image"] == pytest.approx(total / 30)
    assert report["spikes_per_image"] == pytest.approx(result.spikes_per_image)


def test_synaptic_operations_per_layer_and_in_total(report, evaluated):
    _, result = evaluated
    layers = {layer["layer"]: layer for layer in report["layers"]}
    h1 = np.dot(result.activity["h1"].per_neuron, H1_FAN_OUT) / 30
    h2 = np.dot(result.activity["h2"].per_neuron, H2_FAN_OUT) / 30
    assert layers["h1"]["synaptic_ops_per_image"] == pytest.approx(h1)
    assert layers["h2"]["synaptic_ops_per_image"] == pytest.approx(h2)
    assert report["synaptic_ops_per_image"] == pytest.approx(h1 + h2)
    assert report["ann_macs_per_image"] == 6 * 5 + 5 * 4 + 4 * 3


def test_report_is_json_serialisable(report):
    assert json.loads(json.dumps(report)) == report


def test_formatted_report_names_each_layer_and_the_accuracies(report):
    text = format_evaluation_report(report)
    lines = text.splitlines()
    assert lines[0] == "images 30, 20 steps of 1 ms, readout: mean"
    assert f"keras accuracy {report['keras_accuracy']:.2%}" in lines[1]
    assert f"spiking accuracy {report['snn_accuracy']:.2%}" in lines[1]
    assert "ANN MACs per image 62" in lines[2]
    assert lines[3] == (f"the spiking accuracy stays within 0.5 points of its final value from step "
                        f"{report['time_to_accuracy_steps']} on")
    rows = {line.split()[0]: line.split() for line in lines[4:] if line.split() and line.split()[0] in ("h1", "h2")}
    assert set(rows) == {"h1", "h2"}
    for layer in report["layers"]:
        cells = rows[layer["layer"]]
        assert cells[1] == str(layer["neurons"])
        assert cells[2] == f"{layer['total_spikes']:,}"
        assert cells[-1] == f"{layer['synaptic_ops_per_image']:,.0f}"


def test_formatted_report_without_a_keras_reference_and_with_rate_neurons(mlp, mlp_data):
    x, y = mlp_data
    net = snnconvert.convert(mlp, neuron_type="rate")
    result = net.evaluate(x, y, 5, compare_keras=False, progress=False)
    report = evaluation_report(net, result)
    assert report["keras_accuracy"] is None
    assert all(not layer["spiking"] for layer in report["layers"])
    json.dumps(report)
    text = format_evaluation_report(report)
    assert "keras accuracy n/a" in text
    assert text.count("(rate)") == 2


def test_energy_estimate_is_synaptic_ops_and_macs_at_horowitz_figures(report):
    energy = report["energy_estimate"]
    assert energy["snn_picojoules"] == pytest.approx(0.9 * report["synaptic_ops_per_image"])
    assert energy["ann_picojoules"] == pytest.approx(4.6 * 62)
    assert energy["ann_over_snn"] == pytest.approx(4.6 * 62 / (0.9 * report["synaptic_ops_per_image"]))
    assert "not a measurement" in energy["convention"] and "Horowitz" in energy["convention"]
    line = format_evaluation_report(report).splitlines()[4]
    assert line.startswith("estimated energy per image: SNN ") and "ANN 285 pJ" in line
    assert "an estimate, not a measurement" in line


def test_energy_model_can_be_overridden(evaluated):
    from snnconvert.reports.energy import EnergyModel, energy_estimate, format_energy

    net, result = evaluated
    eight_bit = EnergyModel(picojoules_per_accumulate=0.03, picojoules_per_mac=0.23, source="8-bit integers")
    energy = evaluation_report(net, result, energy_model=eight_bit)["energy_estimate"]
    assert energy["ann_picojoules"] == pytest.approx(0.23 * 62)
    assert "8-bit integers" in energy["convention"]
    # 2,000 synaptic ops at 0.9 pJ = 1.8 nJ, 1,000 MACs at 4.6 pJ = 4.6 nJ
    assert format_energy(energy_estimate(2000, 1000)).startswith(
        "estimated energy per image: SNN 1.8 nJ (2.56x less), ANN 4.6 nJ (0.9 pJ per synaptic op, 4.6 pJ per MAC")


def test_summary_and_report_share_the_activity_columns(report, evaluated):
    _, result = evaluated

    def table(text):
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("layer "))
        return lines[start:]

    summary, formatted = table(result.summary()), table(format_evaluation_report(report))
    assert len(summary) == len(formatted) == 4  # header, rule, h1, h2
    # The report's table is the summary's with its own two columns after the common seven.
    for common, extended in zip(summary, formatted):
        assert extended.startswith(common + "  ")
    assert formatted[0].split()[-2:] == ["scale", "synops/image"]


def test_activity_table_cells_worked_by_hand():
    from snnconvert.metrics.results import PopulationActivity
    from snnconvert.metrics.tables import format_activity_table

    # 1,500 neurons over 2 images of 100 steps of 1 ms; 500 of them never fire.
    per_neuron = np.r_[np.zeros(500), np.full(1000, 3.0)]
    spiking = PopulationActivity("dense", "dense", True, np.array([1000.0, 2000.0]), per_neuron, 100, 0.001)
    rate = PopulationActivity("sig", "sig", False, np.array([0.25, 0.5]), np.full(1500, 0.0005), 100, 0.001)
    header, rule, *rows = format_activity_table([spiking.to_dict(), rate.to_dict()])
    assert header.split() == ["layer", "neurons", "total", "spikes", "spikes/image", "mean", "Hz", "max", "Hz",
                              "silent"]
    # rates: 3 spikes / (2 images x 100 steps x 1 ms) = 15 Hz; mean over all 1,500 neurons 10 Hz
    assert rows[0].split() == ["dense", "1,500", "3,000", "1,500.0", "10.0", "15.0", "33.3%"]
    assert rows[1].split() == ["sig", "1,500", "0.8", "(rate)", "0.4", "0.0", "0.0", "0.0%"]
    assert set(rule) == {"-", " "}
