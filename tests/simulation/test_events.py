"""Event-driven projection (sparse spikes scattered into the next layer) against the
dense tensor path: the same spikes, the same per-step currents."""

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.simulation import events


def _network(second_layer):
    keras.utils.set_random_seed(4)
    model = keras.Sequential([
        keras.Input((9, 8, 2)),
        keras.layers.Conv2D(5, 3, activation="relu", name="first"),
        second_layer,
        keras.layers.Flatten(),
        keras.layers.Dense(4, name="readout"),
    ])
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([weights[0], np.random.default_rng(1).uniform(0, 0.3, weights[1].shape)])
    return model


SECOND_LAYERS = {
    "conv valid stride 2": lambda: keras.layers.Conv2D(6, 3, strides=2, activation="relu", name="second"),
    "conv same stride 1": lambda: keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="second"),
    "conv same stride 2": lambda: keras.layers.Conv2D(6, 2, strides=2, padding="same", activation="relu",
                                                      name="second"),
    "conv dilated": lambda: keras.layers.Conv2D(4, 2, dilation_rate=2, activation="relu", name="second"),
}


def _run(model, scale, monkeypatch, dense, **options):
    # DENSE_ABOVE = 0 sends every population down the dense path; 1 down the event path.
    monkeypatch.setattr(events, "DENSE_ABOVE", 0.0 if dense else 1.0)
    net = snnconvert.convert(model, scale_firing_rates=scale)
    x = np.random.default_rng(0).uniform(0, 1, (6, 9, 8, 2)).astype(np.float32)
    return net.run(x, 12, dt=0.01, progress=False, jit_compile=False, **options)


@pytest.mark.parametrize("second", list(SECOND_LAYERS))
@pytest.mark.parametrize("scale", [3, 40, 400])
def test_event_path_gives_the_dense_path_spikes(second, scale, monkeypatch):
    model = _network(SECOND_LAYERS[second]())
    dense = _run(model, scale, monkeypatch, dense=True, initial_state="uniform")
    scattered = _run(model, scale, monkeypatch, dense=False, initial_state="uniform")
    assert dense.total_spikes > 0
    for layer in ("first", "second"):
        np.testing.assert_array_equal(scattered.activity[layer].per_neuron, dense.activity[layer].per_neuron)
        np.testing.assert_array_equal(scattered.activity[layer].per_image, dense.activity[layer].per_image)
    np.testing.assert_allclose(scattered.output, dense.output, rtol=1e-4, atol=1e-3)


def test_event_path_counts_several_spikes_in_one_step(monkeypatch):
    model = _network(SECOND_LAYERS["conv valid stride 2"]())
    dense = _run(model, 400, monkeypatch, dense=True, initial_state="zeros", chunk_steps=5)
    scattered = _run(model, 400, monkeypatch, dense=False, initial_state="zeros", chunk_steps=5)
    # A probed population keeps the dense path; its spike train shows several spikes
    # in one step (output = count * amplitude / dt, amplitude = 1 / 400, dt = 0.01).
    probed = _run(model, 400, monkeypatch, dense=False, initial_state="zeros", probes=["first.neurons"])
    counts = probed.probes["first.neurons"] * 0.01 * 400
    assert counts.max() >= 2
    assert scattered.spikes_per_layer == dense.spikes_per_layer
    np.testing.assert_allclose(scattered.output, dense.output, rtol=1e-4, atol=1e-3)


def test_dense_consumer_uses_the_event_path_too(monkeypatch):
    keras.utils.set_random_seed(5)
    model = keras.Sequential([
        keras.Input((7,)),
        keras.layers.Dense(30, activation="relu", name="first"),
        keras.layers.Dense(12, activation="relu", name="second"),
        keras.layers.Dense(3, name="readout"),
    ])
    x = np.random.default_rng(2).uniform(0, 1, (5, 7)).astype(np.float32)
    results = {}
    for dense in (True, False):
        monkeypatch.setattr(events, "DENSE_ABOVE", 0.0 if dense else 1.0)
        net = snnconvert.convert(model, scale_firing_rates=50, synapse=0.02)
        results[dense] = net.run(x, 20, dt=0.005, progress=False, jit_compile=False)
    assert results[True].total_spikes > 0
    assert results[False].spikes_per_layer == results[True].spikes_per_layer
    np.testing.assert_allclose(results[False].output, results[True].output, rtol=1e-4, atol=1e-4)
