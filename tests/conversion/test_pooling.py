"""Pooling layers: every one, converted with rate neurons, reproduces Keras exactly.

Covers average, max, global average and global max pooling in 1D, 2D and 3D, with
strides, ``valid``/``same`` padding (windows cut by the border) and both data formats;
max pooling both as a spiking max-pool (static input: ordinary max pooling) and
replaced by average pooling (``max_pooling="average"``), which must then equal a Keras
twin model built with average pooling, and leave a note.
"""

import keras
import numpy as np
import pytest
from conversion_helpers import assert_over_time_equals, check_rate_matches_keras, nodes_of, randomize_weights, seq

import snnconvert
from snnconvert.errors import ConversionError
from snnconvert.ir import (
    AveragePool1DNode,
    AveragePool2DNode,
    AveragePool3DNode,
    GlobalAveragePool1DNode,
    GlobalAveragePool2DNode,
    GlobalAveragePool3DNode,
    GlobalMaxPool1DNode,
    GlobalMaxPool2DNode,
    GlobalMaxPool3DNode,
    MaxPool1DNode,
    MaxPool2DNode,
    MaxPool3DNode,
    NeuronNode,
)

L = keras.layers

# (Keras layer, spiking node, average node that replaces it) per rank
WINDOW_LAYERS = {
    1: (L.AveragePooling1D, L.MaxPooling1D, MaxPool1DNode, AveragePool1DNode),
    2: (L.AveragePooling2D, L.MaxPooling2D, MaxPool2DNode, AveragePool2DNode),
    3: (L.AveragePooling3D, L.MaxPooling3D, MaxPool3DNode, AveragePool3DNode),
}
GLOBAL_LAYERS = {
    1: (L.GlobalAveragePooling1D, L.GlobalMaxPooling1D, GlobalMaxPool1DNode, GlobalAveragePool1DNode),
    2: (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D, GlobalMaxPool2DNode, GlobalAveragePool2DNode),
    3: (L.GlobalAveragePooling3D, L.GlobalMaxPooling3D, GlobalMaxPool3DNode, GlobalAveragePool3DNode),
}
# Odd sizes, so that stride-2 windows are cut by the border with "same" padding.
SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}
CHANNELS = 3


def input_shape(rank, data_format):
    spatial = SPATIAL[rank]
    return (*spatial, CHANNELS) if data_format == "channels_last" else (CHANNELS, *spatial)


# ------------------------------------------------------------------ windowed pooling

WINDOW_OPTIONS = [
    pytest.param(dict(pool_size=2), id="pool2"),
    pytest.param(dict(pool_size=2, padding="same"), id="pool2_same"),
    pytest.param(dict(pool_size=3, strides=2), id="pool3_s2"),
    pytest.param(dict(pool_size=3, strides=2, padding="same"), id="pool3_s2_same"),
    pytest.param(dict(pool_size=2, strides=1, padding="same"), id="pool2_s1_same"),
    pytest.param(dict(pool_size=3, strides=1), id="pool3_s1_overlapping"),
]
FORMATS = ["channels_last", "channels_first"]


@pytest.mark.parametrize("options", WINDOW_OPTIONS)
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_average_pooling_matches_keras(rank, data_format, options):
    average, _, _, node_type = WINDOW_LAYERS[rank]
    model = seq(input_shape(rank, data_format), average(**options, data_format=data_format))
    net = check_rate_matches_keras(model)
    (node,) = nodes_of(net, node_type)
    assert node.data_format == data_format


@pytest.mark.parametrize("options", WINDOW_OPTIONS)
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_spiking_max_pooling_is_max_pooling_in_rate_mode(rank, data_format, options):
    _, maximum, node_type, _ = WINDOW_LAYERS[rank]
    model = seq(input_shape(rank, data_format), maximum(**options, data_format=data_format))
    net = check_rate_matches_keras(model)
    (node,) = nodes_of(net, node_type)
    assert node.input_shape == input_shape(rank, data_format)
    assert net.notes == []


@pytest.mark.parametrize("options", WINDOW_OPTIONS)
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_max_pooling_replaced_by_average_equals_keras_average_pooling(rank, data_format, options):
    average, maximum, _, node_type = WINDOW_LAYERS[rank]
    shape = input_shape(rank, data_format)
    model = seq(shape, maximum(**options, data_format=data_format, name="pool"))
    twin = seq(shape, average(**options, data_format=data_format))
    net = check_rate_matches_keras(model, reference=twin, max_pooling="average")
    assert [type(node) for node in net.graph][1:] == [node_type]
    assert_note_about(net, "pool")


def test_same_padding_averages_over_the_cells_inside_the_input_only():
    # [1, 2, 3] in windows of 2: [1, 2] and [3] (the padded cell does not count).
    model = seq((3, 1), L.AveragePooling1D(2, padding="same"))
    x = np.array([[[1.0], [2.0], [3.0]]], np.float32)
    np.testing.assert_allclose(np.asarray(model(x))[0, :, 0], [1.5, 3.0])
    net = snnconvert.convert(model, neuron_type="rate")
    assert_over_time_equals(net.run(x, 2, progress=False).output, np.array([[[1.5], [3.0]]]), 2)


def test_same_padding_max_pooling_never_picks_a_padded_cell():
    # All inputs negative: a zero-padded border would win; Keras (and we) ignore it.
    model = seq((3, 3, 1), L.MaxPooling2D(2, padding="same"))
    x = -np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3, 1)
    expected = np.array([[-1.0, -3.0], [-7.0, -9.0]], np.float32)
    np.testing.assert_array_equal(np.asarray(model(x))[0, :, :, 0], expected)
    for neuron_type in ("rate", "spiking"):
        output = snnconvert.convert(model, neuron_type=neuron_type).run(x, 3, progress=False).output
        np.testing.assert_array_equal(output[0, :, :, :, 0], np.broadcast_to(expected, (3, 2, 2)))


# ------------------------------------------------------------------ global pooling


@pytest.mark.parametrize("keepdims", [False, True], ids=["flat", "keepdims"])
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind", ["average", "spiking_max", "max_as_average"])
def test_global_pooling_matches_keras(kind, rank, data_format, keepdims):
    average, maximum, max_node, average_node = GLOBAL_LAYERS[rank]
    shape = input_shape(rank, data_format)
    options = dict(data_format=data_format, keepdims=keepdims)
    if kind == "average":
        net = check_rate_matches_keras(seq(shape, average(**options)))
        node_type = average_node
    elif kind == "spiking_max":
        net = check_rate_matches_keras(seq(shape, maximum(**options)))
        node_type = max_node
    else:
        model = seq(shape, maximum(**options, name="gmp"))
        net = check_rate_matches_keras(model, reference=seq(shape, average(**options)), max_pooling="average")
        node_type = average_node
        assert_note_about(net, "gmp")
    (node,) = nodes_of(net, node_type)
    assert (node.keepdims, node.data_format) == (keepdims, data_format)


# ------------------------------------------------------------------ in networks


def conv_pool_net(pool, relu_before_pool):
    """Conv -> (relu) -> pool -> (relu) -> Flatten -> Dense, random weights."""
    activation = "relu" if relu_before_pool else None
    layers = [L.Conv2D(4, 3, activation=activation, name="conv"), pool]
    if not relu_before_pool:
        layers.append(L.ReLU(name="relu"))
    layers += [L.Flatten(), L.Dense(3, name="out")]
    return randomize_weights(seq((8, 7, 2), *layers), seed=3)


@pytest.mark.parametrize("relu_before_pool", [True, False], ids=["relu_then_pool", "pool_then_relu"])
def test_max_pooling_inside_a_network_matches_keras(relu_before_pool):
    pool = L.MaxPooling2D(2, padding="same")
    net = check_rate_matches_keras(conv_pool_net(pool, relu_before_pool))
    assert len(nodes_of(net, MaxPool2DNode)) == 1
    assert len(nodes_of(net, NeuronNode)) == 1


@pytest.mark.parametrize("data_format", FORMATS)
def test_max_pooling_between_relu_layers_matches_keras(data_format):
    # Dense layers act on the last axis (channels or columns): pooling must keep the layout.
    shape = (2, 6, 5) if data_format == "channels_first" else (6, 5, 2)
    model = randomize_weights(seq(
        shape,
        L.Dense(4, activation="relu"),
        L.MaxPooling2D(2, padding="same", data_format=data_format),
        L.Dense(3, activation="relu"),
        L.GlobalMaxPooling2D(data_format=data_format),
        L.Dense(2),
    ), seed=4)
    net = check_rate_matches_keras(model)
    assert [len(nodes_of(net, t)) for t in (MaxPool2DNode, GlobalMaxPool2DNode, NeuronNode)] == [1, 1, 2]


# ------------------------------------------------------------------ options and notes


def assert_note_about(net, layer_name):
    (note,) = [note for note in net.notes if layer_name in note]
    assert "averages" in note and "maximum" in note and "accuracy" in note


def test_the_note_names_each_replaced_layer_once_and_spiking_leaves_none():
    model = seq((8, 8, 2), L.MaxPooling2D(2, name="first"), L.GlobalMaxPooling2D(name="second"))
    net = snnconvert.convert(model, max_pooling="average")
    assert len(net.notes) == 2
    assert_note_about(net, "first")
    assert_note_about(net, "second")
    assert "first" in net.summary() and "note:" in net.summary()
    assert snnconvert.convert(model).notes == []


def test_an_unknown_max_pooling_mode_is_a_value_error():
    with pytest.raises(ValueError, match="max_pooling"):
        snnconvert.convert(seq((4, 4, 1), L.MaxPooling2D()), max_pooling="min")


def test_a_pooling_subclass_is_refused_by_name():
    class Custom(L.MaxPooling2D):
        pass

    with pytest.raises(ConversionError, match="'custom_pool'.*Custom"):
        snnconvert.convert(seq((4, 4, 1), Custom(name="custom_pool")))
