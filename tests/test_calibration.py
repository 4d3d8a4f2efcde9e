"""Data-based calibration of scale_firing_rates (snnconvert.calibrate, scale_firing_rates="auto").

References: NumPy's percentile of activations computed by hand or by Keras, and spike
counts worked out from the neuron model (v += s * a * dt per step, floor(v) spikes).
"""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.calibration import HighValues, spikes_per_step

DT = 0.001


def _ramp_model():
    """x (2 values) -> hidden: Dense 3 relu = (x0, 2 x0, -x1) -> Dense 1 (sum of hidden)."""
    model = keras.Sequential([
        keras.Input((2,), name="x"),
        keras.layers.Dense(3, activation="relu", name="hidden"),
        keras.layers.Dense(1, name="out"),
    ])
    model.get_layer("hidden").set_weights([np.array([[1, 2, 0], [0, 0, -1]], np.float32), np.zeros(3, np.float32)])
    model.get_layer("out").set_weights([np.ones((3, 1), np.float32), np.zeros(1, np.float32)])
    return model


def _ramp_data(n=1000):
    """x0 = 1/n, 2/n, ..., 1; x1 = +1, so the third hidden unit never activates."""
    return np.stack([np.arange(1, n + 1) / n, np.ones(n)], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def ramp():
    return _ramp_model()


# ------------------------------------------------------------------ the percentile


@pytest.mark.parametrize("percentile", [99.9, 99.0, 50.0, 100.0, 12.5])
def test_high_values_give_numpy_percentile_while_keeping_only_the_top(percentile):
    rng = np.random.default_rng(3)
    chunks = [rng.exponential(size=size) for size in (700, 1, 3000, 0, 1299)]
    chunks.append(np.repeat(chunks[0][:50], 4))  # ties
    total = sum(len(c) for c in chunks)
    high = HighValues(percentile, max_count=total + 17)
    for chunk in chunks:
        high.add(chunk)
    everything = np.concatenate(chunks)
    assert high.count == total
    assert high.value() == pytest.approx(np.percentile(everything, percentile), rel=1e-12)
    if percentile >= 99:
        assert len(high._kept) <= math.ceil((total + 17) * (100 - percentile) / 100) + 2


def test_high_values_of_nothing_is_none_and_unbounded_keeps_all():
    assert HighValues(99.9, max_count=10).value() is None
    unbounded = HighValues(99.9)
    unbounded.add([3.0, 1.0, 2.0])
    assert unbounded.value() == pytest.approx(np.percentile([1, 2, 3], 99.9))


# ------------------------------------------------------------- scales and spike rates


def test_a_layer_whose_percentile_activation_is_a_gets_target_over_a_dt(ramp):
    x = _ramp_data()
    calibration = snnconvert.calibrate(ramp, x, percentile=99.9, target_rate=0.5, dt=DT)
    # Positive hidden activations: x0 (unit 0) and 2 x0 (unit 1); unit 2 is always 0.
    positive = np.concatenate([x[:, 0], 2 * x[:, 0]]).astype(np.float64)
    a = np.percentile(positive, 99.9)
    assert dict(calibration) == {"hidden": pytest.approx(0.5 / (a * DT), rel=1e-6)}
    layer = calibration.layers["hidden"]
    assert layer["activation"] == pytest.approx(a, rel=1e-6)
    assert layer["target_rate"] == 0.5
    assert layer["active_fraction"] == pytest.approx(2 / 3)
    assert calibration.n_samples == 1000 and calibration.percentile == 99.9


def test_the_calibrated_unit_fires_at_the_target_rate(ramp):
    x = _ramp_data()
    calibration = snnconvert.calibrate(ramp, x, target_rate=0.25)
    a = calibration.layers["hidden"]["activation"]
    net = snnconvert.convert(ramp, scale_firing_rates=calibration)
    # One sample whose first unit sits exactly at the percentile, the second at half of it.
    probe = np.array([[a, 1.0], [a / 4, 1.0]], np.float32)
    n_steps = 200
    result = net.run(probe[:1], n_steps, initial_state="half", progress=False)
    spikes = result.activity["hidden"].per_neuron
    # 0.25 spikes per step over 200 steps: 50 for unit 0, 100 for unit 1 (2 a), none for unit 2.
    np.testing.assert_allclose(spikes, [50, 100, 0], atol=1)
    quarter = net.run(probe[1:], n_steps, initial_state="half", progress=False)
    np.testing.assert_allclose(quarter.activity["hidden"].per_neuron, [12.5, 25, 0], atol=1)


def test_deeper_layers_are_calibrated_on_their_own_activations():
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="relu", name="d1"),
        keras.layers.Dense(5, name="d2_linear"),
        keras.layers.ReLU(name="d2_relu"),
        keras.layers.Dense(3, name="out"),
    ])
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if not layer.weights:
            continue
        kernel, bias = layer.get_weights()
        layer.set_weights([rng.normal(0, 1, kernel.shape).astype(np.float32),
                           rng.normal(0, 0.3, bias.shape).astype(np.float32)])
    x = rng.normal(size=(300, 6)).astype(np.float32)
    calibration = snnconvert.calibrate(model, x, percentile=99.0, target_rate=2.0, batch_size=64)
    assert list(calibration) == ["d1", "d2_relu"]
    taps = keras.Model(model.inputs, [model.get_layer("d1").output, model.get_layer("d2_relu").output])
    for name, activations in zip(["d1", "d2_relu"], taps([x])):
        activations = np.asarray(activations)
        a = np.percentile(activations[activations > 0], 99.0)
        assert calibration[name] == pytest.approx(2.0 / (a * DT), rel=1e-4)


def test_target_rates_in_hz_and_per_layer(ramp):
    x = _ramp_data(200)
    per_step = snnconvert.calibrate(ramp, x, target_rate=0.5)
    in_hz = snnconvert.calibrate(ramp, x, target_rate="500 Hz")
    assert in_hz["hidden"] == pytest.approx(per_step["hidden"])
    # 500 Hz at 2 ms steps is one spike per step: the scale (spikes per second) is the same.
    slow_steps = snnconvert.calibrate(ramp, x, target_rate="500Hz", dt=0.002)
    assert slow_steps.layers["hidden"]["target_rate"] == pytest.approx(1.0)
    assert slow_steps["hidden"] == pytest.approx(per_step["hidden"])
    by_layer = snnconvert.calibrate(ramp, x, target_rate={"hidden": 2.0})
    assert by_layer["hidden"] == pytest.approx(4 * per_step["hidden"])
    assert spikes_per_step(" 250 hz ", 0.002) == pytest.approx(0.5)


def test_lif_neurons_are_calibrated_on_their_rate_curve(ramp):
    x = 3 * _ramp_data()  # hidden currents x0 and 2 x0 up to 6; LIF fires above 1
    calibration = snnconvert.calibrate(ramp, x, neuron_type="lif", target_rate=0.2)
    lif = snnconvert.LIF()
    currents = np.concatenate([x[:, 0], 2 * x[:, 0]]).astype(np.float64)
    currents = currents[currents > 1]
    rates = 1 / (lif.tau_ref + lif.tau_rc * np.log1p(1 / (currents - 1)))
    rate = np.percentile(rates, 99.9)
    assert calibration["hidden"] == pytest.approx(0.2 / (rate * DT), rel=1e-4)
    # Scaling divides the LIF time constants: the unit at the percentile fires 0.2 spikes per step.
    current = 1 + 1 / np.expm1((1 / rate - lif.tau_ref) / lif.tau_rc)
    net = snnconvert.convert(ramp, neuron_type="lif", scale_firing_rates=calibration)
    spikes = net.run(np.array([[current, 3.0]], np.float32), 500, progress=False).activity["hidden"].per_neuron
    assert spikes[0] == pytest.approx(100, abs=2)


# ------------------------------------------------------ names, conversion, reporting


def test_names_match_the_converter_for_folded_separate_and_shared_layers():
    inputs = keras.Input((5, 5, 1))
    h = keras.layers.Conv2D(2, 3, name="conv")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.ReLU(name="relu")(h)
    h = keras.layers.Flatten(name="flat")(h)
    shared = keras.layers.Dense(4, activation="relu", name="shared")
    h = shared(shared(keras.layers.Dense(4, name="to4")(h)))
    outputs = keras.layers.Dense(2, name="out")(h)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(1)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.normal(0.2, 0.5, w.shape).astype(np.float32) for w in weights])
    model.get_layer("bn").set_weights([np.array([1.5, -0.7], np.float32), np.array([0.1, 0.2], np.float32),
                                       np.array([0.3, -0.2], np.float32), np.array([0.8, 2.0], np.float32)])
    x = rng.uniform(size=(50, 5, 5, 1)).astype(np.float32)
    calibration = snnconvert.calibrate(model, x)
    net = snnconvert.convert(model, scale_firing_rates=calibration)  # a wrong name would raise here
    assert set(calibration) == {node.source for node in net.graph.neuron_nodes} == {"relu", "shared"}
    # The shared layer's percentile pools both calls.
    calls = keras.Model(inputs, [node.output_tensors[0] for node in shared._inbound_nodes])
    both = np.concatenate([np.asarray(value).ravel() for value in calls(x)])
    a = np.percentile(both[both > 0], 99.9)
    assert calibration["shared"] == pytest.approx(1.0 / (a * DT), rel=1e-4)
    for node in net.graph.neuron_nodes:
        assert node.gain == pytest.approx(calibration[node.source])


def test_auto_equals_passing_the_calibration_and_notes_it(ramp):
    x = _ramp_data(300)
    auto = snnconvert.convert(ramp, scale_firing_rates="auto", calibration_data=x, calibration_percentile=99.0,
                              target_rate=0.3, synapse=0.005, neuron_type="spiking")
    explicit = snnconvert.convert(ramp, scale_firing_rates=snnconvert.calibrate(ramp, x, percentile=99.0,
                                                                                 target_rate=0.3), synapse=0.005)
    assert [(n.name, n.gain, n.amplitude) for n in auto.graph.neuron_nodes] == \
        [(n.name, n.gain, n.amplitude) for n in explicit.graph.neuron_nodes]
    test = _ramp_data(7)
    np.testing.assert_array_equal(auto.predict(test, 20, progress=False), explicit.predict(test, 20, progress=False))
    assert any("99th percentile" in note and "hidden" in note for note in auto.notes)
    defaults = snnconvert.convert(ramp, scale_firing_rates="auto", calibration_data=x)
    # With the default neuron type, "auto" targets 2 spikes per step (deep-network default).
    expected = snnconvert.calibrate(ramp, x, target_rate=2)["hidden"]
    assert defaults.graph["hidden.neurons"].gain == pytest.approx(expected)


def test_calibration_record_is_json_ready(ramp):
    calibration = snnconvert.calibrate(ramp, _ramp_data(100))
    record = json.loads(json.dumps(calibration.to_dict()))
    assert record["percentile"] == 99.9 and record["n_samples"] == 100 and record["dt"] == DT
    assert record["layers"]["hidden"]["scale"] == calibration["hidden"]


# ---------------------------------------------------------------------- edge cases


def test_a_layer_that_never_activates_keeps_scale_1_with_a_warning():
    model = _ramp_model()
    model.get_layer("hidden").set_weights([-np.ones((2, 3), np.float32), np.zeros(3, np.float32)])
    with pytest.warns(UserWarning, match="'hidden' never had a positive activation"):
        calibration = snnconvert.calibrate(model, _ramp_data(50))
    assert calibration["hidden"] == 1.0 and calibration.layers["hidden"]["activation"] is None
    assert "never active" in calibration.describe()


def test_auto_needs_calibration_data_and_calibration_options_need_auto(ramp):
    with pytest.raises(ValueError, match="calibration_data"):
        snnconvert.convert(ramp, scale_firing_rates="auto")
    with pytest.raises(ValueError, match="`calibration_data`, `target_rate` only apply with scale_firing_rates='auto'"):
        snnconvert.convert(ramp, scale_firing_rates=10, calibration_data=_ramp_data(5), target_rate=1)
    with pytest.raises(ValueError, match="'auto'.*Received: scale_firing_rates='automatic'"):
        snnconvert.convert(ramp, scale_firing_rates="automatic")


@pytest.mark.parametrize("data, message", [
    (np.zeros((0, 2), np.float32), "calibration data is empty"),
    (np.array([[0.5, 1.0], [np.nan, 1.0]], np.float32), "NaN or infinite values: sample 1"),
])
def test_empty_or_nan_data_is_refused(ramp, data, message):
    with pytest.raises(ValueError, match=message):
        snnconvert.calibrate(ramp, data)


def test_an_empty_dataset_of_unknown_length_is_refused(ramp):
    empty = tf.data.Dataset.from_tensor_slices(np.zeros((0, 2), np.float32))
    with pytest.raises(ValueError, match="calibration data is empty"):
        snnconvert.calibrate(ramp, empty)
    ones = tf.data.Dataset.from_tensor_slices(_ramp_data(100))
    assert snnconvert.calibrate(ramp, ones) == pytest.approx(snnconvert.calibrate(ramp, _ramp_data(100)))


def test_activations_that_overflow_are_refused():
    model = _ramp_model()
    model.get_layer("hidden").set_weights([np.full((2, 3), 3e38, np.float32), np.zeros(3, np.float32)])
    with pytest.raises(ValueError, match="'hidden' has NaN or infinite activations on calibration sample 0"):
        snnconvert.calibrate(model, np.full((3, 2), 10.0, np.float32))


@pytest.mark.parametrize("options, message", [
    ({"percentile": 0}, "percentile"),
    ({"percentile": 100.5}, "percentile"),
    ({"percentile": float("nan")}, "percentile"),
    ({"target_rate": 0}, "target_rate"),
    ({"target_rate": "fast"}, "target_rate.*'500 Hz'"),
    ({"target_rate": "-5 Hz"}, "target_rate"),
    ({"target_rate": {"hiden": 1.0}}, r"target_rate` names \['hiden'\].*\['hidden'\]"),
    ({"dt": 0}, "dt"),
])
def test_bad_options_are_refused(ramp, options, message):
    with pytest.raises(ValueError, match=message):
        snnconvert.calibrate(ramp, _ramp_data(5), **options)


def test_calibration_runs_each_spiking_type_as_the_rate_twin_it_declares(ramp):
    class Declared(snnconvert.neurons.SpikingRectifiedLinear):
        def rate_twin(self):
            return snnconvert.neurons.RectifiedLinear(amplitude=self.amplitude)

    class Undeclared(snnconvert.neurons.SpikingRectifiedLinear):
        rate_twin = snnconvert.neurons.NeuronType.rate_twin

    x = _ramp_data()
    assert snnconvert.calibrate(ramp, x, neuron_type=Declared()) == snnconvert.calibrate(ramp, x)
    with pytest.raises(ValueError, match=r"rate curve of Undeclared neurons.*give scale_firing_rates yourself"):
        snnconvert.calibrate(ramp, x, neuron_type=Undeclared())
