"""ZeroPadding2D, Cropping2D, UpSampling2D, Permute, Subtract and Average: rate mode
against Keras, spikes passing through them, and their synaptic fan-out."""

import keras
import numpy as np
import pytest
from conversion_helpers import check_rate_matches_keras

import snnconvert
from snnconvert.reports import fan_out

L = keras.layers


def _randomized(model):
    rng = np.random.default_rng(3)
    for layer in model.layers:
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
    return model


def _check_rate_equals_keras(model):
    """Rate mode equals Keras at both of two steps, on 4 inputs in [0, 1), to rtol and atol 1e-5."""
    x = np.random.default_rng(0).uniform(0, 1, (4, *model.inputs[0].shape[1:])).astype(np.float32)
    check_rate_matches_keras(model, x, n_steps=2, atol=1e-5)


def _conv_model(*middle, input_shape=(7, 6, 2)):
    return _randomized(keras.Sequential([
        keras.Input(input_shape),
        L.Conv2D(3, 2, activation="relu", name="conv"),
        *middle,
        L.Conv2D(2, 2, name="after"),
        L.Flatten(),
        L.Dense(3, name="out"),
    ]))


LAYERS = {
    "zero_padding": lambda: L.ZeroPadding2D(((1, 2), (0, 3))),
    "zero_padding_int": lambda: L.ZeroPadding2D(1),
    "cropping": lambda: L.Cropping2D(((1, 0), (2, 1))),
    "upsampling": lambda: L.UpSampling2D((2, 3)),
    "permute": lambda: L.Permute((2, 1, 3)),
    "permute_channels_first": lambda: L.Permute((3, 1, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_shape_layer_matches_keras_in_rate_mode(name):
    if name == "permute_channels_first":
        model = _randomized(keras.Sequential([
            keras.Input((4, 5, 3)), L.Permute((3, 1, 2)), L.Flatten(), L.Dense(4, name="out"),
        ]))
    else:
        model = _conv_model(LAYERS[name]())
    _check_rate_equals_keras(model)


def _sandwich(input_shape, layer):
    """``layer`` between two Dense layers acting on the last axis (any rank)."""
    return _randomized(keras.Sequential([
        keras.Input(input_shape), L.Dense(3, activation="relu"), layer, L.Flatten(), L.Dense(4, name="out"),
    ]))


OTHER_RANKS = {
    "zero_padding_1d": ((6, 2), lambda: L.ZeroPadding1D((1, 3))),
    "cropping_1d": ((6, 2), lambda: L.Cropping1D((2, 1))),
    "upsampling_1d": ((6, 2), lambda: L.UpSampling1D(3)),
    "zero_padding_3d": ((3, 4, 2, 2), lambda: L.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))),
    "cropping_3d": ((4, 5, 3, 2), lambda: L.Cropping3D(((1, 0), (2, 1), (0, 1)))),
    "upsampling_3d": ((2, 3, 2, 2), lambda: L.UpSampling3D((1, 2, 3))),
    "zero_padding_2d_channels_first": (
        (2, 4, 5), lambda: L.ZeroPadding2D(((1, 0), (2, 1)), data_format="channels_first")
    ),
    "cropping_2d_channels_first": ((2, 5, 5), lambda: L.Cropping2D(((1, 2), (0, 1)), data_format="channels_first")),
    "upsampling_2d_channels_first": ((2, 3, 4), lambda: L.UpSampling2D((2, 1), data_format="channels_first")),
    "upsampling_3d_channels_first": ((2, 2, 3, 2), lambda: L.UpSampling3D(2, data_format="channels_first")),
    "flatten_channels_first": ((2, 3, 4), lambda: L.Flatten(data_format="channels_first")),
}


@pytest.mark.parametrize("name", list(OTHER_RANKS))
def test_shape_layers_of_other_ranks_and_channels_first_match_keras(name):
    input_shape, layer = OTHER_RANKS[name]
    _check_rate_equals_keras(_sandwich(input_shape, layer()))


def test_upsampling_bilinear_is_refused():
    model = _conv_model(L.UpSampling2D(2, interpolation="bilinear", name="up"))
    with pytest.raises(snnconvert.ConversionError, match="interpolation='bilinear'"):
        snnconvert.convert(model)


def _two_branch(merge):
    inputs = keras.Input((6,))
    a = L.Dense(4, activation="relu", name="a")(inputs)
    b = L.Dense(4, activation="relu", name="b")(inputs)
    c = L.Dense(4, activation="relu", name="c")(inputs)
    merged = merge([a, b]) if isinstance(merge, L.Subtract) else merge([a, b, c])
    return _randomized(keras.Model(inputs, L.Dense(3, name="out")(merged)))


@pytest.mark.parametrize("merge", [lambda: L.Subtract(), lambda: L.Average()], ids=["subtract", "average"])
def test_merge_matches_keras_in_rate_mode(merge):
    _check_rate_equals_keras(_two_branch(merge()))


def test_subtracted_spikes_average_to_the_rate_output():
    model = _two_branch(L.Subtract())
    x = np.random.default_rng(1).uniform(0, 1, (8, 6)).astype(np.float32)
    rate = snnconvert.convert(model, neuron_type="rate").run(x, 1, progress=False).output[:, 0]
    spiking = snnconvert.convert(model, scale_firing_rates=2000).run(x, 200, progress=False).output
    np.testing.assert_allclose(spiking.mean(axis=1), rate, atol=0.02 * np.abs(rate).max())


def test_a_spike_into_a_subtract_counts_as_a_connection():
    model = _two_branch(L.Subtract())
    graph = snnconvert.convert(model).graph
    # b's neurons reach the 3-unit readout through the subtraction: 3 connections each
    # (none of the random weights is zero), never a negative count.
    np.testing.assert_array_equal(fan_out(graph, "b.neurons"), np.full(4, 3.0))
    np.testing.assert_array_equal(fan_out(graph, "a.neurons"), np.full(4, 3.0))


def test_spikes_pass_through_padding_and_upsampling():
    model = _conv_model(L.ZeroPadding2D(1), L.UpSampling2D(2))
    x = np.random.default_rng(2).uniform(0, 1, (3, 7, 6, 2)).astype(np.float32)
    rate = snnconvert.convert(model, neuron_type="rate").run(x, 1, progress=False).output[:, 0]
    spiking = snnconvert.convert(model, scale_firing_rates=3000, synapse=0.01).run(x, 300, progress=False)
    assert spiking.spikes_per_layer["conv"] > 0
    np.testing.assert_allclose(spiking.output[:, 150:].mean(axis=1), rate, atol=0.03 * np.abs(rate).max())
