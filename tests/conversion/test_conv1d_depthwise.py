"""Conv1D and DepthwiseConv2D against Keras, with spikes, and their fan-in and MACs."""

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.reports import ann_macs, fan_out

L = keras.layers


def _randomized(model):
    rng = np.random.default_rng(7)
    for layer in model.layers:
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
    return model


def _rate_equals_keras(model):
    x = np.random.default_rng(0).uniform(0, 1, (4, *model.inputs[0].shape[1:])).astype(np.float32)
    expected = np.asarray(model(x))
    output = snnconvert.convert(model, neuron_type="rate").run(x, 2, progress=False).output
    for step in range(2):
        np.testing.assert_allclose(output[:, step], expected, rtol=1e-5, atol=1e-5)
    return x


CONV1D = {
    "valid": dict(kernel_size=3),
    "same stride 2": dict(kernel_size=3, strides=2, padding="same"),
    "dilated": dict(kernel_size=2, dilation_rate=2),
    "no bias": dict(kernel_size=4, use_bias=False),
}


@pytest.mark.parametrize("options", list(CONV1D))
def test_conv1d_matches_keras(options):
    model = _randomized(keras.Sequential([
        keras.Input((11, 3)),
        L.Conv1D(4, activation="relu", name="conv", **CONV1D[options]),
        L.Flatten(),
        L.Dense(3, name="out"),
    ]))
    _rate_equals_keras(model)


def test_conv1d_folds_batch_normalization():
    model = _randomized(keras.Sequential([
        keras.Input((9, 2)), L.Conv1D(3, 3, name="conv"), L.BatchNormalization(name="bn"),
        L.ReLU(), L.Flatten(), L.Dense(2, name="out"),
    ]))
    bn = model.get_layer("bn")
    bn.set_weights([w if i != 3 else np.abs(w) + 0.5 for i, w in enumerate(bn.get_weights())])
    _rate_equals_keras(model)
    assert "bn" not in snnconvert.convert(model).graph.nodes


DEPTHWISE = {
    "valid": dict(kernel_size=3),
    "same stride 2 multiplier 2": dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2),
    "dilated": dict(kernel_size=2, dilation_rate=2),
}


@pytest.mark.parametrize("options", list(DEPTHWISE))
def test_depthwise_conv2d_matches_keras(options):
    model = _randomized(keras.Sequential([
        keras.Input((8, 7, 3)),
        L.DepthwiseConv2D(activation="relu", name="depthwise", **DEPTHWISE[options]),
        L.GlobalAveragePooling2D(),
        L.Dense(3, name="out"),
    ]))
    _rate_equals_keras(model)


def test_spikes_through_conv1d_and_depthwise_average_to_the_rate_output():
    inputs = keras.Input((6, 6, 2))
    x = L.Conv2D(3, 2, activation="relu", name="conv")(inputs)
    x = L.DepthwiseConv2D(2, activation="relu", name="depthwise")(x)
    x = L.Reshape((16, 3))(x)
    x = L.Conv1D(2, 3, activation="relu", name="conv1d")(x)
    model = _randomized(keras.Model(inputs, L.Dense(3, name="out")(L.Flatten()(x))))
    x = _rate_equals_keras(model)
    rate = snnconvert.convert(model, neuron_type="rate").run(x, 1, progress=False).output[:, 0]
    spiking = snnconvert.convert(model, scale_firing_rates=3000, synapse=0.01).run(x, 300, progress=False)
    assert all(count > 0 for count in spiking.spikes_per_layer.values())
    np.testing.assert_allclose(spiking.output[:, 150:].mean(axis=1), rate, atol=0.05 * np.abs(rate).max())


def test_fan_out_and_macs():
    model = _randomized(keras.Sequential([
        keras.Input((5, 2)), L.Dense(2, activation="relu", name="pre"),
        L.Conv1D(4, 3, name="conv"), L.Flatten(), L.Dense(1, name="out"),
    ]))
    graph = snnconvert.convert(model).graph
    # A neuron at position p drives the 4 filters of each of the windows covering it:
    # positions 0..4 are covered by 1, 2, 3, 2, 1 windows of width 3.
    expected = np.repeat([1, 2, 3, 2, 1], 2) * 4
    np.testing.assert_array_equal(fan_out(graph, "pre.neurons"), expected)
    assert ann_macs(graph) == 5 * 2 * 2 + 3 * 4 * (3 * 2) + 12 * 1
