"""``layer_rows``: one row per Keras layer saying what it became in the spiking graph."""

import keras
import pytest

import snnconvert
from snnconvert.reports import format_layer_rows, layer_rows


@pytest.fixture(scope="module")
def folded_model():
    """Conv2D (linear) -> BatchNorm -> ReLU -> Dropout -> Flatten -> Dense relu -> Dense."""
    return keras.Sequential([
        keras.Input((5, 5, 1), name="img"),
        keras.layers.Conv2D(2, 3, name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.ReLU(name="relu"),
        keras.layers.Dropout(0.5, name="drop"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(4, activation="relu", name="hid"),
        keras.layers.Dense(3, name="out"),
    ], name="folded")


@pytest.fixture(scope="module")
def folded_rows(folded_model):
    net = snnconvert.convert(folded_model, scale_firing_rates={"relu": 5.0}, synapse={"hid": 0.01})
    return {row["layer"]: row for row in layer_rows(folded_model, net.graph)}


def test_one_row_per_keras_layer_in_model_order(folded_model):
    net = snnconvert.convert(folded_model)
    rows = layer_rows(folded_model, net.graph)
    assert [row["layer"] for row in rows] == ["img", "conv", "bn", "relu", "drop", "flat", "hid", "out"]
    assert [row["type"] for row in rows] == [
        "InputLayer", "Conv2D", "BatchNormalization", "ReLU", "Dropout", "Flatten", "Dense", "Dense",
    ]


def test_batch_norm_after_a_linear_conv_is_folded_into_it(folded_rows):
    assert folded_rows["bn"]["becomes"] == "folded into conv"
    assert folded_rows["bn"]["neurons"] == 0
    assert folded_rows["bn"]["fan_in"] is None
    assert folded_rows["bn"]["parameters"] == 4 * 2  # gamma, beta, mean, variance per channel
    # The conv itself stays a Conv2D with its own fan-in 3 x 3 x 1.
    assert folded_rows["conv"]["becomes"] == "Conv2D"
    assert folded_rows["conv"]["fan_in"] == 9
    assert folded_rows["conv"]["parameters"] == 2 * 9 + 2


def test_neuron_counts_and_per_layer_scale_and_synapse(folded_rows):
    relu, hid = folded_rows["relu"], folded_rows["hid"]
    assert relu["neurons"] == 3 * 3 * 2
    assert relu["scale"] == 5.0 and relu["synapse"] is None
    assert relu["becomes"] == "Neuron"
    assert relu["neuron_type"] == "SpikingRectifiedLinear"
    assert hid["neurons"] == 4
    assert hid["scale"] == 1.0 and hid["synapse"] == 0.01  # unnamed layers are unscaled
    assert hid["becomes"] == "Dense + Neuron + Synapse"
    assert hid["fan_in"] == 18 and hid["parameters"] == 18 * 4 + 4
    assert folded_rows["out"]["neurons"] == 0 and folded_rows["out"]["fan_in"] == 4
    assert folded_rows["out"]["scale"] is None and folded_rows["out"]["synapse"] is None


def test_dropout_is_identity_and_flatten_a_reshape(folded_rows):
    drop = folded_rows["drop"]
    assert drop["becomes"] == "identity"
    assert (drop["neurons"], drop["scale"], drop["synapse"], drop["fan_in"]) == (0, None, None, None)
    assert folded_rows["flat"]["becomes"] == "Reshape"


def test_global_options_and_rate_neurons_and_an_unfolded_batch_norm():
    # BatchNorm after a relu conv reads spikes, so it cannot fold: it stays an Affine.
    inp = keras.Input((5, 5, 1), name="img")
    x = keras.layers.Conv2D(2, 3, activation="relu", name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.AveragePooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(3, name="d")(x)
    x = keras.layers.Activation("relu", name="act")(x)
    out = keras.layers.Dense(2, activation="softmax", name="out")(x)
    model = keras.Model(inp, out)
    net = snnconvert.convert(model, neuron_type="rate", scale_firing_rates=7, synapse=0.002)
    rows = {row["layer"]: row for row in layer_rows(model, net.graph)}
    assert rows["bn"]["becomes"] == "Affine"
    assert rows["pool"]["becomes"] == "AveragePool2D"
    assert rows["conv"]["neurons"] == 18 and rows["act"]["neurons"] == 3
    for name in ("conv", "act"):
        assert rows[name]["neuron_type"] == "RectifiedLinear"
        assert rows[name]["scale"] == 7.0
        assert rows[name]["synapse"] == 0.002
    assert rows["act"]["becomes"] == "Neuron + Synapse"
    assert rows["d"]["becomes"] == "Dense" and rows["out"]["becomes"] == "Dense"


def test_a_layer_called_twice_counts_the_neurons_of_both_calls():
    shared = keras.layers.Dense(3, activation="relu", name="shared")
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Add(name="add")([shared(a), shared(b)])
    model = keras.Model([a, b], out)
    net = snnconvert.convert(model)
    rows = {row["layer"]: row for row in layer_rows(model, net.graph)}
    assert rows["shared"]["neurons"] == 6
    assert rows["add"]["becomes"] == "Add"


def test_format_layer_rows_lists_every_layer_and_its_fields(folded_model):
    net = snnconvert.convert(folded_model, scale_firing_rates={"relu": 5.0}, synapse={"hid": 0.01})
    text = format_layer_rows(layer_rows(folded_model, net.graph))
    lines = text.splitlines()
    assert len(lines) == 2 + 8  # header, rule, one line per layer
    by_name = {line.split()[0]: line for line in lines[2:]}
    assert set(by_name) == {"img", "conv", "bn", "relu", "drop", "flat", "hid", "out"}
    assert "folded into conv" in by_name["bn"]
    assert "identity" in by_name["drop"]
    assert by_name["hid"].split()[-4:] == ["0.01", "s", "76", "18"]
    assert by_name["relu"].split()[3:6] == ["18", "SpikingRectifiedLinear", "5"]


def test_nested_model_layers_are_listed_with_scoped_names():
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu", name="d1")], name="block")
    x = keras.Input((6,))
    model = keras.Model(x, keras.layers.Dense(2, name="out")(inner(x)))
    rows = layer_rows(model, snnconvert.convert(model).graph)
    assert [row["layer"] for row in rows][1:] == ["block/d1", "out"]  # after the outer input
    block = next(row for row in rows if row["layer"] == "block/d1")
    assert block["becomes"] == "Dense + Neuron" and block["neurons"] == 5
