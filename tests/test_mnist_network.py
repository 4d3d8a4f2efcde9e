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
    np.testing.assert_allclose(result.simulation.output[:500, 0], reference, rtol=1e-4, atol=1e-4)
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


def test_total_spikes_grow_with_scale_while_output_keeps_its_size(keras_model, mnist_test):
    x, _ = mnist_test
    x = x[:200]
    runs = {
        scale: snnconvert.convert(keras_model, scale_firing_rates=scale).run(x, 100, progress=False)
        for scale in (10, 100)
    }
    ratio = runs[100].total_spikes / runs[10].total_spikes
    assert 8 < ratio < 12
    mean_outputs = {scale: run.output.mean(axis=1) for scale, run in runs.items()}
    rate = snnconvert.convert(keras_model, neuron_type="rate").run(x, 1, progress=False).output[:, 0]
    # The time-averaged output approaches the rate output, closer at the higher scale.
    errors = {scale: np.abs(mean - rate).mean() for scale, mean in mean_outputs.items()}
    assert errors[100] < errors[10]
    assert errors[100] < 0.1 * np.abs(rate).mean()
