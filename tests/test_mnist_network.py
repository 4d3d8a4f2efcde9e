"""A real network: the shipped MNIST CNN, converted and simulated on the real test set."""

from pathlib import Path

import numpy as np
import pytest

import snnconvert
from snnconvert.data import load_dataset

MODEL = Path(__file__).resolve().parent.parent / "models" / "mnist_cnn.h5"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mnist_test(data_dir):
    images, labels = load_dataset("mnist", "test", data_dir=data_dir)
    return (images[..., None] / 255.0).astype(np.float32), labels


@pytest.fixture(scope="module")
def keras_model():
    return snnconvert.load_keras_model(MODEL)


def keras_accuracy(model, x, y):
    return float(np.mean(model.predict(x, batch_size=500, verbose=0).argmax(axis=1) == y))


def test_rate_mode_keeps_keras_accuracy_and_outputs(keras_model, mnist_test):
    x, y = mnist_test
    net = snnconvert.convert(keras_model, neuron_type="rate")
    result = net.evaluate(x, y, n_steps=1, batch_size=500, progress=False)
    reference = keras_model.predict(x[:500], verbose=0)
    outputs = net.run(x[:500], n_steps=3, progress=False).output
    for step in range(3):
        np.testing.assert_allclose(outputs[:, step], reference, rtol=1e-4, atol=1e-4)
    assert result.keras_accuracy == pytest.approx(keras_accuracy(keras_model, x, y))
    assert result.accuracy == pytest.approx(result.keras_accuracy, abs=1e-4)
    assert result.keras_accuracy > 0.98


def test_spiking_mode_reaches_keras_accuracy_with_large_scale(keras_model, mnist_test):
    x, y = mnist_test
    net = snnconvert.convert(keras_model, scale_firing_rates=1000, synapse=0.005)
    result = net.evaluate(x, y, n_steps=30, batch_size=200, progress=False)
    print("\n" + result.summary())
    assert result.accuracy >= result.keras_accuracy - 0.01
    # Both hidden layers spike, and every count is a whole number of spikes.
    assert set(result.spikes_per_layer) == {"conv1", "conv2"}
    for activity in result.activity.values():
        assert activity.total_spikes > 0
        np.testing.assert_array_equal(activity.per_image, np.round(activity.per_image))


def test_spikes_grow_with_scale_while_the_output_keeps_its_size(keras_model, mnist_test):
    x = mnist_test[0][:100]
    rate_net = snnconvert.convert(keras_model, neuron_type="rate")
    rate_output = rate_net.run(x, 1, progress=False).output[:, 0]
    # Rate neurons report their expected spike counts: rate x dt summed over steps.
    expected_per_step = rate_net.run(x, 1, progress=False).spikes_per_layer

    # The first layer sees the image, a constant current: its count is proportional
    # to the scale, up to the random rounding of the initial voltages (at scale 10 a
    # neuron emits only a few spikes in 50 steps, so allow 2 %).
    silent = {s: snnconvert.convert(keras_model, scale_firing_rates=s).run(x, 50, progress=False)
              for s in (10, 100)}
    ratio = silent[100].spikes_per_layer["conv1"] / silent[10].spikes_per_layer["conv1"]
    assert ratio == pytest.approx(10, rel=0.02)

    # With a synapse smoothing the spike trains, the second layer too fires at the
    # rate the ANN's activations predict, and the time-averaged output is the ANN's.
    n_steps = 200
    runs = {s: snnconvert.convert(keras_model, scale_firing_rates=s, synapse=0.01).run(x, n_steps, progress=False)
            for s in (100, 1000)}
    assert 8 < runs[1000].total_spikes / runs[100].total_spikes < 11
    for layer in ("conv1", "conv2"):
        expected = expected_per_step[layer] * n_steps * 1000
        assert runs[1000].spikes_per_layer[layer] == pytest.approx(expected, rel=0.05)
    error = np.abs(runs[1000].output[:, n_steps // 2:].mean(axis=1) - rate_output).mean()
    assert error < 0.03 * np.abs(rate_output).mean()
