"""Spike statistics: exact counts, counts recovered from outputs, per-image/neuron sums, rates."""

import keras
import numpy as np
import pytest

import snnconvert


def _dense_model(weights, name="N"):
    """``inp(1,) -> Dense(len(weights), relu, no bias)`` with the given weights."""
    inp = keras.Input((1,))
    out = keras.layers.Dense(len(weights), use_bias=False, activation="relu", name=name)(inp)
    model = keras.Model(inp, out)
    model.get_layer(name).set_weights([np.asarray(weights, np.float32).reshape(1, -1)])
    return model


@pytest.fixture(scope="module")
def multi_rate_model():
    # With x = 1, dt = 0.001, s = 1 the drive per step J*dt is 3, 1.5, 0.05 and 0 (J < 0):
    # three spikes every step, 1.5 per step on average, one spike every 20 steps, silent.
    return _dense_model([3000.0, 1500.0, 50.0, -10.0])


@pytest.mark.parametrize("initial_state", ["zeros", "half"])
@pytest.mark.parametrize(
    "weight, n_steps, expected",
    [
        (250.0, 200, 50),  # 250 Hz for 0.2 s
        (37.5, 400, 15),  # 37.5 Hz for 0.4 s
        (4000.0, 30, 120),  # 4 spikes every step
    ],
)
def test_known_rate_gives_exact_count(weight, n_steps, expected, initial_state):
    net = snnconvert.convert(_dense_model([weight]))
    result = net.run(np.ones((1, 1)), n_steps, dt=0.001, initial_state=initial_state, progress=False)
    assert result.spikes_per_layer == {"N": expected}
    assert result.activity["N"].rates_hz[0] == pytest.approx(weight)


@pytest.mark.parametrize("scale", [1, 2, 8])
def test_counts_from_outputs_match_activity_including_multiple_spikes_per_step(multi_rate_model, scale):
    dt, n_steps = 0.001, 40
    x = np.array([[1.0], [0.5], [0.0], [2.0]], np.float32)
    net = snnconvert.convert(multi_rate_model, scale_firing_rates=scale)
    result = net.run(x, n_steps, dt=dt, progress=False, probes=["N.neurons"])
    output = result.output
    np.testing.assert_array_equal(output, result.probes["N.neurons"])

    amplitude = 1.0 / scale
    from_outputs = output * dt / amplitude  # spikes per image, step, neuron
    np.testing.assert_allclose(from_outputs, np.round(from_outputs), atol=1e-4)
    from_outputs = np.round(from_outputs)
    activity = result.activity["N"]

    np.testing.assert_array_equal(activity.per_neuron, from_outputs.sum(axis=(0, 1)))
    np.testing.assert_array_equal(activity.per_image, from_outputs.sum(axis=(1, 2)))
    assert activity.total_spikes == int(from_outputs.sum())
    # Neurons really do fire several times in one step here...
    assert from_outputs.max() >= 3 * scale
    # ...so counting non-zero steps would undercount.
    assert np.count_nonzero(output) < activity.total_spikes


def test_counts_hand_worked(multi_rate_model):
    # One image, x = 1, 20 steps, half start. Per neuron: 3/step -> 60; 1.5/step from 0.5
    # -> floor(0.5 + 30) = 30; 0.05/step -> floor(0.5 + 1) = 1; J < 0 -> 0.
    net = snnconvert.convert(multi_rate_model)
    result = net.run(np.ones((1, 1)), 20, dt=0.001, initial_state="half", progress=False)
    activity = result.activity["N"]
    np.testing.assert_array_equal(activity.per_neuron, [60, 30, 1, 0])
    np.testing.assert_array_equal(activity.per_image, [91])
    # Outputs: 3 spikes * 1 / 0.001 = 3000; the 1.5 neuron goes 2, 1, 2, 1, ... -> 2000, 1000.
    np.testing.assert_array_equal(result.output[0, :, 0], np.full(20, 3000.0))
    np.testing.assert_array_equal(result.output[0, :4, 1], [2000.0, 1000.0, 2000.0, 1000.0])
    assert activity.silent_fraction == 0.25


def test_per_image_per_neuron_totals_and_rates(convnet, convnet_images):
    dt, n_steps = 0.005, 25
    net = snnconvert.convert(convnet, scale_firing_rates=20)
    result = net.run(convnet_images, n_steps, dt=dt, batch_size=3, progress=False)
    n_images = len(convnet_images)
    assert list(result.activity) == ["conv", "hidden"]
    for name, activity in result.activity.items():
        assert activity.n_images == n_images
        assert activity.n_neurons == net.graph[f"{name}.neurons"].size
        assert activity.per_image.sum() == activity.per_neuron.sum() == activity.total_spikes
        assert activity.total_spikes > 0
        np.testing.assert_array_equal(activity.per_image, np.round(activity.per_image))
        np.testing.assert_allclose(activity.rates_hz, activity.per_neuron / (n_images * n_steps * dt))
        assert activity.mean_rate_hz == pytest.approx(activity.rates_hz.mean())
        assert activity.max_rate_hz == pytest.approx(activity.rates_hz.max())
        assert activity.silent_fraction == pytest.approx(np.mean(activity.per_neuron == 0))
        assert activity.spikes_per_image == pytest.approx(activity.total_spikes / n_images)
    assert result.total_spikes == sum(result.spikes_per_layer.values())


def test_silent_fraction_counts_neurons_silent_on_every_image():
    # Neuron 0 fires, neuron 1 only for negative x, neuron 2 never (zero weight).
    net = snnconvert.convert(_dense_model([100.0, -100.0, 0.0]))
    options = dict(dt=0.001, initial_state="half", progress=False)
    result = net.run(np.array([[1.0], [0.5]]), 40, **options)
    assert result.activity["N"].silent_fraction == pytest.approx(2 / 3)
    result = net.run(np.array([[1.0], [-0.5]]), 40, **options)
    assert result.activity["N"].silent_fraction == pytest.approx(1 / 3)
    # Half start: 100 Hz * 0.04 s -> floor(0.5 + 4) = 4 at x = 1;
    # 50 Hz * 0.04 s -> floor(0.5 + 2) = 2 for neuron 1 at x = -0.5.
    np.testing.assert_array_equal(result.activity["N"].per_neuron, [4, 2, 0])
    np.testing.assert_array_equal(result.activity["N"].per_image, [4, 2])


def test_rate_population_reports_expected_counts(multi_rate_model):
    net = snnconvert.convert(multi_rate_model, neuron_type="rate", scale_firing_rates=2)
    result = net.run(np.array([[1.0], [0.5]]), 10, dt=0.001, progress=False)
    activity = result.activity["N"]
    assert activity.spiking is False
    # gain 2: J * dt per step = 2 * w * x * 0.001, over 10 steps.
    expected = 2 * np.array([3000.0, 1500.0, 50.0, 0.0]) * 0.001 * 10 * 1.5
    np.testing.assert_allclose(activity.per_neuron, expected, rtol=1e-5)
    assert isinstance(activity.total_spikes, float)
    assert activity.total_spikes == pytest.approx(expected.sum(), rel=1e-5)
