"""Nested models, shared layers, several inputs and outputs, tensor arithmetic and the
preprocessing layers (Rescaling, Normalization), each against Keras in rate mode."""

import keras
import numpy as np
import pytest
from conversion_helpers import check_rate_matches_keras, nodes_of, randomize_weights

import snnconvert
from snnconvert import ConversionError
from snnconvert.ir import AffineNode, NeuronNode

L = keras.layers


def block(name, input_shape=(6,)):
    return keras.Sequential(
        [keras.Input(input_shape), L.Dense(5, activation="relu", name="d1"), L.Dense(6, name="d2")], name=name
    )


def test_sequential_inside_functional_and_called_twice():
    inner = block("block")
    x = keras.Input((4,))
    h = L.Dense(6, activation="relu", name="d1")(x)
    out = L.Dense(3, name="out")(L.Add()([inner(h), inner(inner(h))]))
    model = randomize_weights(keras.Model(x, out))
    randomize_weights(inner, seed=5)
    net = check_rate_matches_keras(model)
    populations = [node.name for node in nodes_of(net, NeuronNode)]
    assert populations == ["d1.neurons", "block/d1.neurons", "block/d1.neurons#2", "block/d1.neurons#3"]


def test_functional_inside_sequential_two_levels_deep():
    innermost = block("innermost", (6,))
    x = keras.Input((6,))
    middle = keras.Model(x, L.ReLU(name="r")(innermost(x)), name="middle")
    model = randomize_weights(keras.Sequential([keras.Input((6,)), middle, L.Dense(2, name="out")]))
    randomize_weights(innermost, seed=3)
    net = check_rate_matches_keras(model)
    assert {"middle/innermost/d1.neurons", "middle/r.neurons"} <= set(net.graph.nodes)


def test_nested_layer_options_by_scoped_or_own_name():
    inner = block("block")
    x = keras.Input((6,))
    model = keras.Model(x, inner(L.Dense(6, activation="relu", name="first")(x)))
    by_scope = snnconvert.convert(model, scale_firing_rates={"block/d1": 4.0}, synapse={"first": 0.01})
    assert by_scope.graph["block/d1.neurons"].gain == 4.0
    assert by_scope.graph["first.neurons"].gain == 1.0
    by_name = snnconvert.convert(model, scale_firing_rates={"d1": 3.0})
    assert by_name.graph["block/d1.neurons"].gain == 3.0
    with pytest.raises(ConversionError, match="block/d9"):
        snnconvert.convert(model, scale_firing_rates={"block/d9": 2.0})


def test_softmax_of_a_nested_output_is_dropped_only_when_it_leaves_the_network():
    x = keras.Input((6,))
    head = keras.Sequential([keras.Input((6,)), L.Dense(3, activation="softmax", name="p")], name="head")
    model = randomize_weights(keras.Model(x, head(L.Dense(6, activation="relu")(x))))
    net = snnconvert.convert(model, neuron_type="rate")
    assert any("head/p" in note and "softmax" in note for note in net.notes)
    data = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    logits = net.run(data, 1, progress=False).output[:, 0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), model.predict(data, verbose=0),
                               atol=1e-5)
    hidden_head = keras.Model(x, L.Dense(2)(head(x)))
    with pytest.raises(ConversionError, match="softmax"):
        snnconvert.convert(hidden_head)


def test_several_inputs_and_outputs():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    shared = L.Dense(5, activation="relu", name="shared")
    ha, hb = shared(L.Dense(4, name="pa")(a)), shared(L.Dense(4, name="pb")(b))
    model = randomize_weights(keras.Model([a, b], [L.Dense(2, name="y1")(ha), L.Subtract(name="y2")([ha, hb])]))
    net = check_rate_matches_keras(model)
    assert [node.name for node in net.graph.inputs] == ["a", "b"]
    assert net.graph.outputs == ["y1", "y2"]
    assert {"shared.neurons", "shared.neurons#2"} <= set(net.graph.nodes)


ARITHMETIC = {
    "times_scalar": lambda h: h * 0.5,
    "plus_vector": lambda h: h + np.arange(3, dtype=np.float32),
    "constant_minus": lambda h: 2.0 - h,
    "divided_by": lambda h: h / 4.0,
    "negated": lambda h: -h,
    "ops_multiply_batch_axis_constant": lambda h: keras.ops.multiply(h, np.array([[1.0, -2.0, 3.0]], np.float32)),
    "chain": lambda h: -(2.0 - (h * 0.5 + 1.0) / 4.0),
}


@pytest.mark.parametrize("expression", ARITHMETIC.values(), ids=ARITHMETIC.keys())
def test_arithmetic_with_a_constant_is_an_affine_map(expression):
    x = keras.Input((4,))
    hidden = L.Dense(3, activation="relu")(L.Dense(3)(x))
    model = randomize_weights(keras.Model(x, L.Dense(2)(expression(hidden))))
    net = check_rate_matches_keras(model)
    assert nodes_of(net, AffineNode)


def test_difference_of_two_tensors_is_a_merge():
    x = keras.Input((4,))
    model = randomize_weights(keras.Model(x, L.Dense(3)(x) - L.Dense(3)(x) + L.Dense(3)(x)))
    check_rate_matches_keras(model)


@pytest.mark.parametrize("expression, message", [
    (lambda a, b: a * b, "not a linear operation"),
    (lambda a, b: 1.0 / a, "divides a constant by a signal"),
    (lambda a, b: keras.ops.exp(a) + keras.ops.maximum(b, 0.3), "of type Exp"),
])
def test_non_linear_arithmetic_is_refused_or_run_as_a_rate_layer(expression, message):
    x = keras.Input((4,))
    model = randomize_weights(keras.Model(x, expression(L.Dense(3)(x), L.Dense(3)(x))))
    with pytest.raises(ConversionError, match=f"{message}.*non_spiking="):
        snnconvert.convert(model)
    check_rate_matches_keras(model, non_spiking="rate")


def test_non_spiking_layers_are_called_with_their_options():
    """Keyword arguments and repeated inputs reach the layer as in the model."""
    q = keras.Input((4, 3))
    model = keras.Model(q, L.Flatten()(L.Attention(name="att")([q, q], use_causal_mask=True)))
    check_rate_matches_keras(model, non_spiking=["att"])
    i = keras.Input((4, 4))
    model = randomize_weights(keras.Model(i, L.Flatten()(L.MultiHeadAttention(2, 4, name="mha")(i, i))))
    check_rate_matches_keras(model, non_spiking=["mha"])


def test_keras_ops_activations_and_layers_convert():
    x = keras.Input((5,))
    hidden = keras.ops.relu6(keras.ops.leaky_relu(L.Dense(4)(x), 0.1))
    output = L.Softmax()(L.Identity()(L.Dense(3)(keras.ops.relu(hidden))))
    model = randomize_weights(keras.Model(x, output))
    net = snnconvert.convert(model, neuron_type="rate")
    assert len(net.graph.neuron_nodes) == 3 and any("softmax" in note for note in net.notes)
    data = np.random.default_rng(0).normal(size=(8, 5)).astype(np.float32)
    logits = net.run(data, 1, progress=False).output[:, 0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), model.predict(data, verbose=0),
                               atol=1e-5)


def adapted_normalization(**options):
    layer = L.Normalization(**options)
    layer.adapt(np.random.default_rng(0).normal(3.0, 2.0, (64, 5, 5, 2)).astype(np.float32))
    return layer


PREPROCESSING = {
    "rescaling_scalar": lambda: L.Rescaling(1 / 255.0),
    "rescaling_per_channel_offset": lambda: L.Rescaling([0.5, 2.0], offset=-1.0),
    "normalization_adapted": lambda: adapted_normalization(),
    "normalization_per_row_column": lambda: adapted_normalization(axis=(1, 2)),
    "normalization_given_invert": lambda: L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0], invert=True),
    "batch_norm_axis_1": lambda: L.BatchNormalization(axis=1),
}


@pytest.mark.parametrize("make_layer", PREPROCESSING.values(), ids=PREPROCESSING.keys())
def test_preprocessing_layers_match_keras(make_layer):
    model = randomize_weights(keras.Sequential([keras.Input((5, 5, 2)), make_layer(), L.Conv2D(3, 3)]))
    x = np.random.default_rng(1).normal(2.0, 3.0, (6, 5, 5, 2)).astype(np.float32)
    check_rate_matches_keras(model, x)


def test_batch_norm_after_relu_stays_an_affine():
    model = randomize_weights(keras.Sequential([
        keras.Input((6,)), L.Dense(4, activation="relu"), L.BatchNormalization(name="bn"), L.Dense(2),
    ]))
    net = check_rate_matches_keras(model)
    assert [node.source for node in nodes_of(net, AffineNode)] == ["bn"]


def test_a_bare_layer_name_shared_by_several_nested_layers_is_refused_with_their_scoped_names():
    x = keras.Input((6,))
    model = keras.Model(x, block("right")(block("left")(x)))
    for option in ({"scale_firing_rates": {"d1": 2.0}}, {"synapse": {"d1": 0.01}}):
        (name,) = option
        with pytest.raises(ConversionError, match=rf"`{name}` names 'd1'.*\['left/d1', 'right/d1'\].*scoped name"):
            snnconvert.convert(model, **option)
    # A top-level layer of that name is one more match, not a way to silence the others.
    top = keras.Model(x, block("right")(L.Dense(6, activation="relu", name="d1")(x)))
    with pytest.raises(ValueError, match=r"\['d1', 'right/d1'\]"):
        snnconvert.convert(top, scale_firing_rates={"d1": 2.0})
    # Scoped names pick each layer; a bare name matching one layer (or one shared layer) still works.
    net = snnconvert.convert(model, scale_firing_rates={"left/d1": 2.0, "right/d1": 3.0})
    assert [net.graph[f"{side}/d1.neurons"].gain for side in ("left", "right")] == [2.0, 3.0]
    net = snnconvert.convert(top, scale_firing_rates={"d1": 2.0, "right/d1": 3.0}, synapse={"right/d1": 0.01})
    assert [net.graph[name].gain for name in ("d1.neurons", "right/d1.neurons")] == [2.0, 3.0]
    shared = block("shared")
    twice = keras.Model(x, shared(shared(x)))
    net = snnconvert.convert(twice, scale_firing_rates={"d1": 5.0})
    assert [net.graph[name].gain for name in ("shared/d1.neurons", "shared/d1.neurons#2")] == [5.0, 5.0]
