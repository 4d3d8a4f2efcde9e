"""Every supported layer, converted with rate neurons, reproduces Keras exactly.

Each case is a tiny model with random weights (nonzero biases, a BatchNormalization
far from the identity). The converted network runs without synapses, so its output
at every step must equal ``model(x)`` up to float32 rounding.
"""

import keras
import numpy as np
import pytest
from conversion_helpers import (
    affine_nodes,
    assert_close,
    assert_over_time_equals,
    check_rate_matches_keras,
    keras_outputs,
    nodes_of,
    random_inputs,
    randomize_weights,
    seq,
)

import snnconvert
from snnconvert.ir import (
    AddNode,
    AveragePool2DNode,
    ConcatenateNode,
    Conv2DNode,
    DenseNode,
    GlobalAveragePool2DNode,
    InputNode,
    NeuronNode,
    ReshapeNode,
)

L = keras.layers


def functional(input_shape, body):
    x = keras.Input(input_shape)
    return keras.Model(x, body(x))


def built(builder, seed=0):
    return randomize_weights(builder(), seed=seed)


# ----------------------------------------------------------------- single layers
# id -> (builder, IR node types that must appear)
SINGLE_LAYER_CASES = {
    # InputLayer alone: the network passes the input through.
    "input_only": (lambda: functional((3, 4), lambda x: x), [InputNode]),
    # Dense
    "dense": (lambda: seq((6,), L.Dense(5)), [DenseNode]),
    "dense_rank3_input": (lambda: seq((4, 6), L.Dense(5)), [DenseNode]),
    "dense_rank4_input": (lambda: seq((3, 2, 6), L.Dense(5)), [DenseNode]),
    "dense_rank3_relu": (lambda: seq((4, 6), L.Dense(5, activation="relu")), [DenseNode, NeuronNode]),
    "dense_no_bias": (lambda: seq((6,), L.Dense(5, use_bias=False)), [DenseNode]),
    "dense_relu": (lambda: seq((6,), L.Dense(5, activation="relu")), [DenseNode, NeuronNode]),
    "dense_relu_function": (
        lambda: seq((6,), L.Dense(5, activation=keras.activations.relu)),
        [DenseNode, NeuronNode],
    ),
    "dense_linear": (lambda: seq((6,), L.Dense(5, activation="linear")), [DenseNode]),
    "dense_activation_none": (lambda: seq((6,), L.Dense(5, activation=None)), [DenseNode]),
    "dense_relu_dense": (
        lambda: seq((6,), L.Dense(7, activation="relu"), L.Dense(3)),
        [DenseNode, NeuronNode],
    ),
    # Conv2D
    "conv_valid_s1": (lambda: seq((9, 9, 3), L.Conv2D(4, 3)), [Conv2DNode]),
    "conv_same_s1": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, padding="same")), [Conv2DNode]),
    "conv_valid_s2": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, strides=2)), [Conv2DNode]),
    "conv_same_s2_odd": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, strides=2, padding="same")), [Conv2DNode]),
    # Even size + stride 2 + same: TensorFlow pads asymmetrically.
    "conv_same_s2_even": (lambda: seq((8, 8, 3), L.Conv2D(4, 3, strides=2, padding="same")), [Conv2DNode]),
    "conv_dilation2_valid": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, dilation_rate=2)), [Conv2DNode]),
    "conv_dilation2_same": (
        lambda: seq((9, 9, 3), L.Conv2D(4, 3, dilation_rate=2, padding="same")),
        [Conv2DNode],
    ),
    "conv_rect_kernel_strides": (
        lambda: seq((9, 8, 3), L.Conv2D(4, (3, 2), strides=(2, 1))),
        [Conv2DNode],
    ),
    "conv_1x1": (lambda: seq((5, 5, 3), L.Conv2D(6, 1)), [Conv2DNode]),
    "conv_no_bias": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, use_bias=False)), [Conv2DNode]),
    "conv_relu": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, activation="relu")), [Conv2DNode, NeuronNode]),
    "conv_linear": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, activation="linear")), [Conv2DNode]),
    "conv_activation_none": (lambda: seq((9, 9, 3), L.Conv2D(4, 3, activation=None)), [Conv2DNode]),
    "conv_relu_conv": (
        lambda: seq((9, 9, 3), L.Conv2D(4, 3, activation="relu"), L.Conv2D(2, 3, strides=2)),
        [Conv2DNode, NeuronNode],
    ),
    # Activation / ReLU layers
    "activation_relu": (lambda: seq((6,), L.Activation("relu")), [NeuronNode]),
    "activation_relu_function": (lambda: seq((6,), L.Activation(keras.activations.relu)), [NeuronNode]),
    "activation_linear": (lambda: seq((6,), L.Dense(4), L.Activation("linear"), L.Dense(3)), [DenseNode]),
    "activation_relu_after_conv": (
        lambda: seq((6, 6, 2), L.Conv2D(3, 3), L.Activation("relu")),
        [Conv2DNode, NeuronNode],
    ),
    "relu_layer": (lambda: seq((6,), L.ReLU()), [NeuronNode]),
    "relu_layer_after_dense": (lambda: seq((6,), L.Dense(5), L.ReLU(), L.Dense(2)), [NeuronNode]),
    "relu_layer_explicit_defaults": (
        lambda: seq((6,), L.ReLU(max_value=None, negative_slope=0.0, threshold=0.0)),
        [NeuronNode],
    ),
    # Reshaping
    "flatten_only": (lambda: seq((4, 4, 3), L.Flatten()), [ReshapeNode]),
    "flatten_after_conv_relu": (
        lambda: seq((5, 5, 2), L.Conv2D(3, 3, activation="relu", padding="same"), L.Flatten(), L.Dense(4)),
        [ReshapeNode],
    ),
    "reshape_to_rank3_dense": (lambda: seq((12,), L.Reshape((3, 4)), L.Dense(2)), [ReshapeNode]),
    "reshape_image": (lambda: seq((4, 4, 3), L.Reshape((8, 6))), [ReshapeNode]),
    "reshape_minus_one": (lambda: seq((4, 4, 3), L.Reshape((-1, 3)), L.Dense(2)), [ReshapeNode]),
    "reshape_to_image_conv": (
        lambda: seq((48,), L.Reshape((4, 4, 3)), L.Conv2D(2, 2, activation="relu")),
        [ReshapeNode, Conv2DNode],
    ),
    # Identity at inference
    "dropout": (lambda: seq((6,), L.Dense(8, activation="relu"), L.Dropout(0.5), L.Dense(3)), [DenseNode]),
    "spatial_dropout2d": (
        lambda: seq((6, 6, 2), L.Conv2D(3, 3, activation="relu"), L.SpatialDropout2D(0.5), L.Conv2D(2, 3)),
        [Conv2DNode],
    ),
    "gaussian_noise": (lambda: seq((6,), L.GaussianNoise(1.0), L.Dense(3)), [DenseNode]),
    "gaussian_dropout": (lambda: seq((6,), L.Dense(5), L.GaussianDropout(0.4), L.Dense(3)), [DenseNode]),
    "alpha_dropout": (lambda: seq((6,), L.Dense(5), L.AlphaDropout(0.4), L.Dense(3)), [DenseNode]),
    "activity_regularization": (
        lambda: seq((6,), L.Dense(5), L.ActivityRegularization(l1=0.1, l2=0.1), L.Dense(3)),
        [DenseNode],
    ),
    # Average pooling
    "avgpool_2_valid": (lambda: seq((8, 8, 3), L.AveragePooling2D(2)), [AveragePool2DNode]),
    "avgpool_2_valid_odd": (lambda: seq((7, 7, 3), L.AveragePooling2D(2)), [AveragePool2DNode]),
    "avgpool_3_s2_valid": (lambda: seq((7, 7, 3), L.AveragePooling2D(3, strides=2)), [AveragePool2DNode]),
    # Same padding: the border windows average only the real values.
    "avgpool_3_s2_same": (
        lambda: seq((7, 7, 3), L.AveragePooling2D(3, strides=2, padding="same")),
        [AveragePool2DNode],
    ),
    "avgpool_2_s1_same": (
        lambda: seq((5, 5, 3), L.AveragePooling2D(2, strides=1, padding="same")),
        [AveragePool2DNode],
    ),
    "avgpool_rect_pool_strides": (
        lambda: seq((8, 9, 2), L.AveragePooling2D((2, 3), strides=(1, 2))),
        [AveragePool2DNode],
    ),
    "avgpool_after_conv_relu": (
        lambda: seq((8, 8, 2), L.Conv2D(3, 3, activation="relu", padding="same"), L.AveragePooling2D(2)),
        [AveragePool2DNode, NeuronNode],
    ),
    # Global average pooling
    "gap": (lambda: seq((5, 6, 3), L.GlobalAveragePooling2D()), [GlobalAveragePool2DNode]),
    "gap_keepdims": (
        lambda: seq((5, 6, 3), L.GlobalAveragePooling2D(keepdims=True)),
        [GlobalAveragePool2DNode],
    ),
    "gap_after_conv_relu_dense": (
        lambda: seq((6, 6, 2), L.Conv2D(4, 3, activation="relu"), L.GlobalAveragePooling2D(), L.Dense(3)),
        [GlobalAveragePool2DNode],
    ),
    "gap_keepdims_then_conv": (
        lambda: seq(
            (6, 6, 2), L.Conv2D(4, 3, activation="relu"), L.GlobalAveragePooling2D(keepdims=True), L.Conv2D(3, 1)
        ),
        [GlobalAveragePool2DNode],
    ),
}


@pytest.mark.parametrize("case", list(SINGLE_LAYER_CASES))
def test_single_layer_rate_mode_equals_keras(case):
    builder, expected_kinds = SINGLE_LAYER_CASES[case]
    model = built(builder)
    net = check_rate_matches_keras(model)
    for kind in expected_kinds:
        assert nodes_of(net, kind), f"{case}: no {kind.__name__} in {list(net.graph.nodes)}"


def test_relu_layers_create_named_populations():
    model = built(
        lambda: seq((6,), L.Dense(5, activation="relu", name="hidden"), L.ReLU(name="act"), L.Dense(2, name="out"))
    )
    net = check_rate_matches_keras(model)
    assert [node.name for node in net.graph.neuron_nodes] == ["hidden.neurons", "act.neurons"]
    assert [node.source for node in net.graph.neuron_nodes] == ["hidden", "act"]


def test_identity_layers_add_no_nodes():
    model = built(
        lambda: seq(
            (6,),
            L.Dense(5, name="a"),
            L.Dropout(0.5),
            L.GaussianNoise(1.0),
            L.ActivityRegularization(l1=0.1),
            L.Dense(3, name="b"),
        )
    )
    net = check_rate_matches_keras(model)
    assert [node.kind for node in net.graph] == ["Input", "Dense", "Dense"]
    assert net.graph["b"].inputs == ("a",)


def test_dense_and_conv_nodes_carry_the_keras_weights():
    model = built(lambda: seq((6, 6, 2), L.Conv2D(3, 3, name="c"), L.Flatten(), L.Dense(4, use_bias=False, name="d")))
    net = snnconvert.convert(model, neuron_type="rate")
    kernel, bias = model.get_layer("c").get_weights()
    np.testing.assert_array_equal(net.graph["c"].kernel, kernel)
    np.testing.assert_array_equal(net.graph["c"].bias, bias)
    np.testing.assert_array_equal(net.graph["d"].kernel, model.get_layer("d").get_weights()[0])
    assert net.graph["d"].bias is None
    assert net.graph["c"].shape == (4, 4, 3)


# ------------------------------------------------------------- batch normalization
BN_CASES = {
    # id -> (builder, folded?)
    "after_dense": (lambda: seq((6,), L.Dense(5, name="lin"), L.BatchNormalization()), True),
    "after_dense_then_relu": (
        lambda: seq((6,), L.Dense(5, name="lin"), L.BatchNormalization(), L.ReLU(), L.Dense(3)),
        True,
    ),
    "after_dense_rank3": (lambda: seq((4, 6), L.Dense(5, name="lin"), L.BatchNormalization()), True),
    "after_dense_no_bias": (
        lambda: seq((6,), L.Dense(5, use_bias=False, name="lin"), L.BatchNormalization()),
        True,
    ),
    "after_conv": (lambda: seq((7, 7, 3), L.Conv2D(4, 3, name="lin"), L.BatchNormalization()), True),
    "after_conv_no_bias_then_relu": (
        lambda: seq(
            (7, 7, 3),
            L.Conv2D(4, 3, use_bias=False, padding="same", name="lin"),
            L.BatchNormalization(),
            L.Activation("relu"),
        ),
        True,
    ),
    "after_conv_no_scale_no_center": (
        lambda: seq((7, 7, 3), L.Conv2D(4, 3, name="lin"), L.BatchNormalization(scale=False, center=False)),
        True,
    ),
    "after_conv_large_epsilon": (
        lambda: seq((7, 7, 3), L.Conv2D(4, 3, name="lin"), L.BatchNormalization(epsilon=0.3)),
        True,
    ),
    # Not folded: a ReLU sits between the linear layer and the normalization.
    "after_dense_relu": (lambda: seq((6,), L.Dense(5, activation="relu"), L.BatchNormalization(), L.Dense(3)), False),
    "after_relu_layer_conv": (
        lambda: seq((7, 7, 3), L.Conv2D(4, 3), L.ReLU(), L.BatchNormalization(), L.Conv2D(2, 3)),
        False,
    ),
    # Not folded: the conv output is also read by the Add.
    "conv_output_used_elsewhere": (
        lambda: functional((7, 7, 3), lambda x: (lambda c: L.Add()([c, L.BatchNormalization()(c)]))(L.Conv2D(4, 3)(x))),
        False,
    ),
    # Not folded: nothing linear before it.
    "on_input": (lambda: seq((6,), L.BatchNormalization()), False),
    "on_image_input": (lambda: seq((4, 4, 3), L.BatchNormalization(), L.Conv2D(2, 3)), False),
    # Not folded: normalizes a non-channel axis (per-row scale).
    "axis1_after_conv": (lambda: seq((6, 5, 3), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(axis=1)), False),
    "axis_minus2_after_conv": (
        lambda: seq((6, 5, 3), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(axis=-2)),
        False,
    ),
}


@pytest.mark.parametrize("case", list(BN_CASES))
def test_batch_normalization_rate_mode_equals_keras(case):
    builder, folded = BN_CASES[case]
    model = built(builder)
    bn = next(layer for layer in model.layers if isinstance(layer, L.BatchNormalization))
    # The normalization really changes values (the test would notice if it were dropped).
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)
    net = check_rate_matches_keras(model)
    if folded:
        assert affine_nodes(net) == [], net.summary()
        folded_node = net.graph["lin"]
        assert folded_node.source == f"lin+{bn.name}"
        assert not np.allclose(folded_node.kernel, model.get_layer("lin").get_weights()[0])
    else:
        assert [node.source for node in affine_nodes(net)] == [bn.name], net.summary()


def test_batch_normalization_dropped_would_be_noticed():
    """Sanity check of the harness: a model without the BN gives different values."""
    model = built(BN_CASES["after_conv"][0])
    x = random_inputs(model)
    without_bn = keras.Model(model.inputs[0], model.get_layer("lin").output)
    assert not np.allclose(keras_outputs(model, x)[0], keras_outputs(without_bn, x)[0], atol=1e-3)


# ------------------------------------------------------------------------ merging
def _add_two_dense(x):
    return L.Add()([L.Dense(4)(x), L.Dense(4, activation="relu")(x)])


def _add_three_conv(x):
    return L.Add()(
        [L.Conv2D(3, 3, padding="same")(x), L.Conv2D(3, 1)(x), L.Conv2D(3, 3, padding="same", activation="relu")(x)]
    )


def _add_with_input(x):
    return L.Add()([x, L.Dense(6, activation="relu")(x)])


def _concat(axis, relu=True):
    def body(x):
        left = L.Conv2D(3, 3, padding="same", activation="relu" if relu else None)(x)
        right = L.Conv2D(2 if axis == -1 else 3, 1)(x)
        return L.Concatenate(axis=axis)([left, right])

    return body


MERGE_CASES = {
    "add_two_dense": (lambda: functional((6,), _add_two_dense), AddNode),
    "add_three_conv": (lambda: functional((5, 5, 2), _add_three_conv), AddNode),
    "add_input_and_dense": (lambda: functional((6,), _add_with_input), AddNode),
    "concat_axis_minus1_images": (lambda: functional((5, 5, 2), _concat(-1)), ConcatenateNode),
    "concat_axis3_images": (lambda: functional((5, 5, 2), _concat(3)), ConcatenateNode),
    "concat_axis1_images": (lambda: functional((5, 5, 2), _concat(1)), ConcatenateNode),
    "concat_axis2_images": (lambda: functional((5, 5, 2), _concat(2)), ConcatenateNode),
    "concat_axis1_static_inputs": (lambda: functional((5, 5, 2), _concat(1, relu=False)), ConcatenateNode),
    "concat_axis_minus1_vectors": (
        lambda: functional((6,), lambda x: L.Concatenate()([L.Dense(3, activation="relu")(x), L.Dense(2)(x)])),
        ConcatenateNode,
    ),
    "concat_axis1_vectors": (
        lambda: functional((6,), lambda x: L.Concatenate(axis=1)([L.Dense(3)(x), x, L.Dense(2)(x)])),
        ConcatenateNode,
    ),
}


@pytest.mark.parametrize("case", list(MERGE_CASES))
def test_merge_layers_rate_mode_equals_keras(case):
    builder, kind = MERGE_CASES[case]
    net = check_rate_matches_keras(built(builder))
    assert nodes_of(net, kind)


def test_concatenate_axis_is_stored_without_the_batch_axis():
    model = built(lambda: functional((5, 5, 2), _concat(1)))
    net = snnconvert.convert(model, neuron_type="rate")
    (concat,) = nodes_of(net, ConcatenateNode)
    assert concat.axis == 0
    assert concat.shape == (10, 5, 3)


# ------------------------------------------------------------------- output softmax
def _softmax_classifier(output_activation, softmax_as_layer=False):
    inputs = keras.Input((6, 6, 2))
    x = L.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = L.Flatten()(x)
    if softmax_as_layer:
        x = L.Dense(5, name="logits")(x)
        outputs = L.Activation(output_activation, name="probs")(x)
    else:
        outputs = L.Dense(5, activation=output_activation, name="logits")(x)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("as_layer", [False, True], ids=["dense_activation", "activation_layer"])
def test_output_softmax_is_read_out_as_pre_softmax_values(as_layer):
    model = randomize_weights(_softmax_classifier("softmax", as_layer))
    linear = _softmax_classifier("linear", as_layer)
    linear.set_weights(model.get_weights())
    x = random_inputs(model)
    net = check_rate_matches_keras(model, x, reference=linear)
    probabilities = keras_outputs(model, x)[0]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)  # reference really is a softmax
    output = net.run(x, 2, progress=False).output
    np.testing.assert_array_equal(output[:, -1].argmax(axis=1), probabilities.argmax(axis=1))
    layer = "probs" if as_layer else "logits"
    assert any("softmax" in note and layer in note for note in net.notes), net.notes
    assert "softmax" in net.summary()


def test_no_notes_without_softmax():
    net = snnconvert.convert(built(lambda: seq((6,), L.Dense(3))), neuron_type="rate")
    assert net.notes == []


def test_output_softmax_that_also_feeds_another_layer_is_not_silently_dropped():
    inputs = keras.Input((6,))
    probs = L.Dense(4, activation="softmax", name="probs")(inputs)
    after = L.Dense(3, name="after")(probs)
    model = randomize_weights(keras.Model(inputs, [probs, after]))
    x = random_inputs(model)
    try:
        net = snnconvert.convert(model, neuron_type="rate")
    except snnconvert.ConversionError as error:  # refusing is acceptable
        assert "probs" in str(error)
        return
    expected_after = keras_outputs(model, x)[1]
    assert_over_time_equals(net.run(x, 2, progress=False).outputs["after"], expected_after, 2)


# ---------------------------------------------------------- scale and synapse options
def test_scale_firing_rates_does_not_change_rate_outputs():
    model = built(
        lambda: seq(
            (6, 6, 2),
            L.Conv2D(3, 3, activation="relu", name="c"),
            L.Flatten(),
            L.Dense(4, activation="relu", name="d"),
            L.Dense(2),
        )
    )
    net = check_rate_matches_keras(model, scale_firing_rates=7.0)
    for node in net.graph.neuron_nodes:
        assert node.gain == pytest.approx(7.0)
        assert node.amplitude == pytest.approx(1 / 7.0)
    net = check_rate_matches_keras(model, scale_firing_rates={"d": 3.0})
    assert net.graph["c.neurons"].gain == 1.0
    assert net.graph["d.neurons"].gain == pytest.approx(3.0)
    assert net.graph["d.neurons"].amplitude == pytest.approx(1 / 3.0)


def _synapse_sources(net):
    return sorted(node.source for node in net.graph if getattr(node, "synapse", None) is not None)


@pytest.mark.parametrize("filtered", ["a", "b"])
def test_per_layer_synapse_filters_the_named_layer_only(filtered):
    """Rate neurons, constant input: a low-pass output rises as ``1 - exp(-(t + 1) dt / tau)``.

    The expected values are computed with the Keras layers themselves, applying the
    filter factor to the output of the filtered layer only.
    """
    model = built(
        lambda: seq(
            (6,),
            L.Dense(5, activation="relu", name="a"),
            L.Dense(4, activation="relu", name="b"),
            L.Dense(3, name="out"),
        )
    )
    tau, dt, n_steps = 0.01, 0.001, 5
    net = snnconvert.convert(model, neuron_type="rate", synapse={filtered: tau})
    assert _synapse_sources(net) == [filtered]
    x = random_inputs(model)
    output = net.run(x, n_steps, progress=False, dt=dt).output
    for step in range(n_steps):
        factor = 1 - np.exp(-dt * (step + 1) / tau)
        h = np.asarray(model.get_layer("a")(x))
        h = h * factor if filtered == "a" else h
        h = np.asarray(model.get_layer("b")(h))
        h = h * factor if filtered == "b" else h
        assert_close(output[:, step], np.asarray(model.get_layer("out")(h)))


def test_global_synapse_filters_every_population():
    model = built(lambda: seq((6,), L.Dense(5, activation="relu", name="a"), L.ReLU(name="r"), L.Dense(3)))
    net = snnconvert.convert(model, neuron_type="rate", synapse=0.005)
    assert _synapse_sources(net) == ["a", "r"]
    assert _synapse_sources(snnconvert.convert(model, neuron_type="rate", synapse=0)) == []


def test_neuron_type_option_sets_every_population():
    model = built(lambda: seq((6,), L.Dense(5, activation="relu"), L.ReLU(), L.Dense(3)))
    default = snnconvert.convert(model)
    assert all(type(node.neuron_type) is snnconvert.SpikingRectifiedLinear for node in default.graph.neuron_nodes)
    rate = snnconvert.convert(model, neuron_type="rate")
    assert all(type(node.neuron_type) is snnconvert.RectifiedLinear for node in rate.graph.neuron_nodes)
    custom = snnconvert.RectifiedLinear(amplitude=2.0)
    net = snnconvert.convert(model, neuron_type=custom, scale_firing_rates=4.0)
    assert all(node.neuron_type is custom for node in net.graph.neuron_nodes)
    assert all(node.amplitude == pytest.approx(0.5) for node in net.graph.neuron_nodes)


# --------------------------------------------------------------- multi-layer models
def _vgg_layers():
    return [
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.AveragePooling2D(2),
        L.Conv2D(6, 3, padding="same"),
        L.BatchNormalization(),
        L.ReLU(),
        L.AveragePooling2D(2),
        L.Flatten(),
        L.Dense(8, activation="relu"),
        L.Dropout(0.3),
        L.Dense(3),
    ]


def vgg_sequential():
    return seq((8, 8, 2), *_vgg_layers())


def vgg_functional():
    x = inputs = keras.Input((8, 8, 2))
    for layer in _vgg_layers():
        x = layer(x)
    return keras.Model(inputs, x)


def residual_block():
    inputs = keras.Input((6, 6, 3))
    stem = L.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = L.Conv2D(4, 3, padding="same", use_bias=False)(stem)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.Conv2D(4, 3, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Add()([x, stem])
    x = L.ReLU()(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, L.Dense(3)(x))


def inception_block(output_activation="softmax"):
    inputs = keras.Input((8, 8, 2))
    b1 = L.Conv2D(3, 1, activation="relu")(inputs)
    b2 = L.Conv2D(2, 1, activation="relu")(inputs)
    b2 = L.Conv2D(3, 3, padding="same", activation="relu")(b2)
    b3 = L.AveragePooling2D(3, strides=1, padding="same")(inputs)
    b3 = L.Conv2D(2, 1)(b3)
    b3 = L.BatchNormalization()(b3)
    b3 = L.Activation("relu")(b3)
    x = L.Concatenate()([b1, b2, b3])
    x = L.AveragePooling2D(2)(x)
    x = L.Flatten()(x)
    return keras.Model(inputs, L.Dense(4, activation=output_activation)(x))


def mlp_sequential():
    return seq(
        (4, 5),
        L.Dense(6, activation="relu"),
        L.Flatten(),
        L.Dense(8),
        L.BatchNormalization(),
        L.Activation("relu"),
        L.Dropout(0.2),
        L.Dense(3),
    )


MULTI_LAYER_CASES = {
    "vgg_sequential": vgg_sequential,
    "vgg_functional": vgg_functional,
    "residual_block": residual_block,
    "mlp_sequential": mlp_sequential,
}


@pytest.mark.parametrize("case", list(MULTI_LAYER_CASES))
def test_multi_layer_models_rate_mode_equal_keras(case):
    model = built(MULTI_LAYER_CASES[case])
    net = check_rate_matches_keras(model, n_steps=4)
    assert net.graph.neuron_nodes


def test_vgg_sequential_and_functional_convert_to_the_same_graph():
    sequential, functional_model = vgg_sequential(), vgg_functional()
    randomize_weights(sequential)
    functional_model.set_weights(sequential.get_weights())
    x = random_inputs(sequential)
    a = snnconvert.convert(sequential, neuron_type="rate")
    b = snnconvert.convert(functional_model, neuron_type="rate")
    assert [node.kind for node in a.graph] == [node.kind for node in b.graph]
    np.testing.assert_allclose(
        a.run(x, 2, progress=False).output, b.run(x, 2, progress=False).output, rtol=1e-6, atol=1e-6
    )


def test_residual_block_folds_both_batch_normalizations():
    model = built(residual_block)
    net = check_rate_matches_keras(model)
    assert affine_nodes(net) == []
    assert len(nodes_of(net, AddNode)) == 1
    assert len(net.graph.neuron_nodes) == 3


def test_inception_block_with_softmax_output():
    model = built(inception_block)
    # Same architecture with a linear output, same weights: the expected readout.
    twin = inception_block("linear")
    twin.set_weights(model.get_weights())
    x = random_inputs(model)
    assert not np.allclose(keras_outputs(twin, x)[0], keras_outputs(model, x)[0], atol=1e-3)
    net = check_rate_matches_keras(model, x, reference=twin)
    assert len(nodes_of(net, ConcatenateNode)) == 1
    assert affine_nodes(net) == []  # the BN after the 1x1 conv is folded
    assert any("softmax" in note for note in net.notes)


def test_multi_output_model_outputs_match_keras_by_name():
    inputs = keras.Input((6, 6, 2))
    conv = L.Conv2D(3, 3, name="conv")(inputs)
    bn = L.BatchNormalization(name="bn")(conv)
    hidden = L.Dense(4, activation="relu", name="hidden")(L.Flatten()(bn))
    linear = L.Dense(2, name="lin")(hidden)
    model = randomize_weights(keras.Model(inputs, [hidden, linear, bn]))
    net = check_rate_matches_keras(model)
    # The folded BN output is read from the conv it was merged into.
    assert net.graph.outputs == ["hidden.neurons", "lin", "conv"]


def test_harness_detects_a_wrong_weight():
    """The comparison is not vacuous: a perturbed converted weight makes it fail."""
    model = built(lambda: seq((6,), L.Dense(5, activation="relu", name="d"), L.Dense(3)))
    net = snnconvert.convert(model, neuron_type="rate")
    net.graph["d"].kernel[0, 0] += 0.5
    x = random_inputs(model)
    with pytest.raises(AssertionError):
        assert_over_time_equals(net.run(x, 2, progress=False).output, keras_outputs(model, x)[0], 2)


# ------------------------------------------------------- weights not in get_weights order
def _lora_model(kind):
    if kind == "Dense":
        model = seq((6,), L.Dense(5, activation="relu", name="adapted"), L.Dense(3))
    else:
        model = seq((6, 6, 2), L.Conv2D(3, 3, activation="relu", name="adapted"), L.Flatten(), L.Dense(3))
    randomize_weights(model)
    model.get_layer("adapted").enable_lora(2)
    rng = np.random.default_rng(7)
    layer = model.get_layer("adapted")
    for variable in (layer.lora_kernel_a, layer.lora_kernel_b):  # b starts at zero: make it matter
        variable.assign(rng.normal(0.0, 0.5, variable.shape).astype(np.float32))
    return model


@pytest.mark.parametrize("kind", ["Dense", "Conv2D"])
def test_lora_adapted_layer_converts_with_its_effective_kernel(kind):
    model = _lora_model(kind)
    x = random_inputs(model)
    try:
        net = snnconvert.convert(model, neuron_type="rate")
    except snnconvert.ConversionError as error:  # refusing is acceptable too
        assert "adapted" in str(error)
        return
    assert_over_time_equals(net.run(x, 2, progress=False).output, keras_outputs(model, x)[0], 2)


def test_quantized_dense_is_refused_by_name():
    model = built(lambda: seq((6,), L.Dense(5, activation="relu", name="quantized"), L.Dense(3, name="out")))
    model.get_layer("quantized").quantize("int8")
    with pytest.raises(snnconvert.ConversionError) as error:
        snnconvert.convert(model, neuron_type="rate").run(random_inputs(model), 1, progress=False)
    assert "quantized" in str(error.value)
