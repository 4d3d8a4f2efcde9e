"""Layers with no spiking meaning: refused by default, run as rate layers on request."""

import keras
import numpy as np
import pytest
from conversion_helpers import check_rate_matches_keras, nodes_of, random_seq, randomize_weights

import snnconvert
from snnconvert import ConversionError
from snnconvert.ir import NonSpikingActivationNode, NonSpikingLayerNode

L = keras.layers


def sigmoid_model():
    return random_seq((5,), L.Dense(8, activation="relu", name="hidden"), L.Dense(6, activation="sigmoid", name="gate"),
               L.Dense(3, name="out"))


def test_refused_by_default_with_the_way_out():
    with pytest.raises(ConversionError, match=r"'gate'.*'sigmoid'.*non_spiking=\['gate'\]"):
        snnconvert.convert(sigmoid_model())


@pytest.mark.parametrize("non_spiking", ["rate", ["gate"], ("gate",)])
def test_allowed_activation_matches_keras_in_rate_mode(non_spiking):
    net = check_rate_matches_keras(sigmoid_model(), non_spiking=non_spiking)
    [node] = nodes_of(net, NonSpikingActivationNode)
    assert node.function == "sigmoid" and node.source == "gate"
    assert "non-spiking sigmoid" in net.summary()
    assert any("gate" in note and "non-spiking" in note for note in net.notes)


def test_list_naming_another_layer_still_refuses_this_one():
    model = random_seq((5,), L.Dense(6, activation="tanh", name="a"), L.Dense(6, activation="tanh", name="b"))
    with pytest.raises(ConversionError, match="'b'"):
        snnconvert.convert(model, non_spiking=["a"])


def test_naming_a_layer_that_needs_no_fallback_is_an_error():
    with pytest.raises(ConversionError, match=r"`non_spiking` names \['hidden'\]"):
        snnconvert.convert(sigmoid_model(), non_spiking=["gate", "hidden"])


@pytest.mark.parametrize("value", [3, "yes", [1, 2]])
def test_bad_non_spiking_values(value):
    with pytest.raises(ValueError, match="non_spiking"):
        snnconvert.convert(sigmoid_model(), non_spiking=value)


def test_spiking_network_with_a_rate_layer_tracks_keras():
    """Spikes, filtered by a synapse, drive the sigmoid; its output follows the ANN."""
    model = sigmoid_model()
    x = np.random.default_rng(0).uniform(0, 1, (30, 5)).astype(np.float32)
    net = snnconvert.convert(model, non_spiking="rate", scale_firing_rates=100, synapse=0.01)
    output = net.run(x, 150, progress=False).output[:, -50:].mean(axis=1)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(output, expected, atol=0.05 * np.abs(expected).max())
    assert list(net.run(x, 2, progress=False).activity) == ["hidden"]  # no spikes claimed for gate


def test_lambda_layer_runs_when_allowed():
    model = random_seq((4,), L.Dense(5, name="d"), L.Lambda(lambda t: t * t, name="square"), L.Dense(2))
    with pytest.raises(ConversionError, match=r"'square'.*Lambda.*non_spiking=\['square'\]"):
        snnconvert.convert(model)
    net = check_rate_matches_keras(model, non_spiking=["square"])
    [node] = nodes_of(net, NonSpikingLayerNode)
    assert node.layer is model.get_layer("square")
    assert "non-spiking Keras Lambda" in net.summary()


def test_lambda_activation_function_runs_when_allowed():
    model = random_seq((4,), L.Dense(5), L.Activation(lambda t: 2 * t + 1, name="affine_fn"), L.Dense(2))
    check_rate_matches_keras(model, non_spiking="rate")


@keras.saving.register_keras_serializable(package="snnconvert_tests")
class Clip(L.Layer):
    def call(self, inputs):
        return keras.ops.clip(inputs, -0.5, 0.5)


def test_custom_layer_runs_when_allowed_also_from_a_file(tmp_path):
    model = random_seq((4,), L.Dense(5), Clip(name="clip"), L.Dense(2))
    check_rate_matches_keras(model, non_spiking=["clip"])
    path = tmp_path / "custom.keras"
    model.save(path)
    x = np.random.default_rng(3).normal(size=(6, 4)).astype(np.float32)
    net = snnconvert.convert(str(path), neuron_type="rate", non_spiking="rate")
    np.testing.assert_allclose(net.run(x, 1, progress=False).output[:, 0], model.predict(x, verbose=0), atol=1e-5)


def test_product_of_two_signals_runs_when_allowed():
    x = keras.Input((4,))
    a = L.Dense(3, activation="relu", name="a")(x)
    b = L.Dense(3, name="b")(x)
    model = randomize_weights(keras.Model(x, L.Dense(2)(L.Multiply(name="gating")([a, b]))))
    net = check_rate_matches_keras(model, non_spiking=["gating"])
    [node] = nodes_of(net, NonSpikingLayerNode)
    assert node.inputs == ("a.neurons", "b")


def test_spiking_input_and_static_input_meet_in_a_rate_layer():
    """One input of the product is spikes (per step), the other static: both are aligned."""
    x = keras.Input((4,))
    a = L.Dense(3, activation="relu", name="a")(x)
    b = L.Dense(3, name="b")(x)
    model = randomize_weights(keras.Model(x, L.Multiply(name="gating")([a, b])))
    data = np.random.default_rng(4).uniform(0, 1, (8, 4)).astype(np.float32)
    net = snnconvert.convert(model, non_spiking="rate", scale_firing_rates=500)
    output = net.run(data, 400, progress=False).output
    assert output.shape == (8, 400, 3)
    np.testing.assert_allclose(output.mean(axis=1), model.predict(data, verbose=0), atol=0.05)
