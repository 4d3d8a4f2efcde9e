"""The walker: topological order, shared layers, inputs and outputs of the graph."""

import keras
import numpy as np
from conversion_helpers import (
    assert_over_time_equals,
    check_rate_matches_keras,
    keras_outputs,
    nodes_of,
    random_inputs,
    randomize_weights,
)

import snnconvert
from snnconvert.conversion.context import ConversionContext
from snnconvert.conversion.walker import _topological_nodes, build_graph
from snnconvert.ir import AffineNode, DenseNode, InputNode, NeuronNode
from snnconvert.neurons import RectifiedLinear

L = keras.layers


def _graph_without_passes(model, **options):
    return build_graph(model, ConversionContext(RectifiedLinear(), **options))


def _assert_topological(graph):
    position = {name: index for index, name in enumerate(graph.nodes)}
    for node in graph:
        for name in node.inputs:
            assert position[name] < position[node.name], f"{node.name} reads {name}, which comes later"


def tangled_model():
    """Layers created in an order unrelated to the data flow, with crossing branches."""
    head = L.Dense(3, name="head")
    merge = L.Concatenate(name="merge")
    add = L.Add(name="add")
    c = L.Dense(4, activation="relu", name="c")
    b = L.Dense(4, name="b")
    a = L.Dense(4, activation="relu", name="a")
    inputs = keras.Input((5,), name="x")
    ya = a(inputs)
    yb = b(ya)
    yc = c(inputs)
    summed = add([yc, yb, ya])
    out = head(merge([summed, yc, inputs]))
    return keras.Model(inputs, out)


def test_graph_is_in_topological_order():
    model = randomize_weights(tangled_model())
    graph = _graph_without_passes(model)
    _assert_topological(graph)
    assert next(iter(graph.nodes)) == "x"
    assert list(graph.nodes)[-1] == "head"
    check_rate_matches_keras(model)


def test_topological_nodes_of_keras_graph():
    model = tangled_model()
    ordered = _topological_nodes(model.outputs)
    operations = [node.operation.name for node in ordered]
    assert sorted(operations) == sorted(["x", "a", "b", "c", "add", "merge", "head"])  # each once
    seen = set()
    for node in ordered:
        for tensor in node.input_tensors:
            producer = tensor._keras_history[0]
            assert producer.name in seen, f"{node.operation.name} before {producer.name}"
        seen.add(node.operation.name)


def test_deep_chain_does_not_hit_recursion_limits():
    x = inputs = keras.Input((3,))
    for _ in range(300):
        x = L.Activation("linear")(x)
    x = L.Dense(2)(x)
    model = randomize_weights(keras.Model(inputs, x))
    check_rate_matches_keras(model)


def test_sequential_graph_follows_layer_order():
    model = keras.Sequential(
        [keras.Input((6, 6, 2)), L.Conv2D(2, 3, activation="relu"), L.AveragePooling2D(2), L.Flatten(), L.Dense(3)]
    )
    graph = _graph_without_passes(model)
    assert [node.kind for node in graph] == ["Input", "Conv2D", "Neuron", "AveragePool2D", "Reshape", "Dense"]
    _assert_topological(graph)


# ------------------------------------------------------------------ shared layers
def test_shared_layer_called_twice_gives_distinct_nodes():
    shared = L.Dense(4, activation="relu", name="shared")
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    out = L.Dense(2, name="readout")(L.Concatenate(name="cat")([shared(a), shared(b)]))
    model = randomize_weights(keras.Model([a, b], out))
    net = check_rate_matches_keras(model)
    dense = [node for node in nodes_of(net, DenseNode) if node.source == "shared"]
    assert len(dense) == 2
    assert dense[0].name != dense[1].name
    assert {dense[0].inputs, dense[1].inputs} == {("a",), ("b",)}
    np.testing.assert_array_equal(dense[0].kernel, dense[1].kernel)
    neurons = [node for node in nodes_of(net, NeuronNode) if node.source == "shared"]
    assert len(neurons) == 2 and neurons[0].name != neurons[1].name
    assert all(node.name.startswith("shared.neurons") for node in neurons)
    assert {neurons[0].inputs, neurons[1].inputs} == {(dense[0].name,), (dense[1].name,)}
    assert set(net.graph["cat"].inputs) == {neurons[0].name, neurons[1].name}


def test_shared_layer_applied_twice_in_a_chain():
    shared = L.Conv2D(3, 3, padding="same", activation="relu", name="shared_conv")
    inputs = keras.Input((5, 5, 3))
    out = L.GlobalAveragePooling2D()(shared(shared(inputs)))
    model = randomize_weights(keras.Model(inputs, out))
    net = check_rate_matches_keras(model)
    _assert_topological(net.graph)
    assert len([node for node in net.graph if node.source == "shared_conv"]) == 4  # 2 convs + 2 populations


def test_per_layer_scale_applies_to_every_call_of_a_shared_layer():
    shared = L.Dense(4, activation="relu", name="shared")
    a, b = keras.Input((5,)), keras.Input((5,))
    model = randomize_weights(keras.Model([a, b], L.Add()([shared(a), shared(b)])))
    net = check_rate_matches_keras(model, scale_firing_rates={"shared": 5.0})
    assert [node.gain for node in net.graph.neuron_nodes] == [5.0, 5.0]


def test_node_named_after_a_keras_layer_comes_from_that_layer():
    shared = L.Dense(4, name="dense")
    readout = L.Dense(2, name="dense_1")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], readout(L.Concatenate(name="cat")([shared(a), shared(b)])))
    graph = snnconvert.convert(model, neuron_type="rate").graph
    for node in graph:
        if node.name in {layer.name for layer in model.layers}:
            assert node.source == node.name, f"node {node.name!r} comes from layer {node.source!r}"


# ------------------------------------------------------------- inputs and outputs
def test_graph_outputs_names_follow_model_outputs():
    inputs = keras.Input((6,), name="x")
    hidden = L.Dense(5, activation="relu", name="hidden")(inputs)
    linear = L.Dense(3, name="linear")(hidden)
    relu = L.ReLU(name="relu")(linear)
    normalized = L.BatchNormalization(name="bn")(L.Dense(2, name="pre_bn")(inputs))
    model = randomize_weights(keras.Model(inputs, [linear, relu, hidden, normalized, inputs]))
    net = check_rate_matches_keras(model)
    assert net.graph.outputs == ["linear", "relu.neurons", "hidden.neurons", "pre_bn", "x"]
    # "linear" is an output and also feeds the ReLU: both values are available.
    result = net.run(random_inputs(model), 1, progress=False)
    assert list(result.outputs) == net.graph.outputs


def test_unfolded_graph_keeps_the_batch_normalization_output_name():
    inputs = keras.Input((6,))
    normalized = L.BatchNormalization(name="bn")(L.Dense(2, name="pre_bn")(inputs))
    graph = _graph_without_passes(keras.Model(inputs, normalized))
    assert graph.outputs == ["bn"]
    assert isinstance(graph["bn"], AffineNode)


def test_two_inputs_graph_has_both_input_nodes():
    a, b = keras.Input((3,), name="a"), keras.Input((2, 2), name="b")
    out = L.Concatenate()([L.Dense(2)(a), L.Flatten()(b)])
    net = snnconvert.convert(keras.Model([a, b], out), neuron_type="rate")
    assert sorted(node.name for node in net.graph.inputs) == ["a", "b"]
    assert {node.name: node.shape for node in net.graph.inputs} == {"a": (3,), "b": (2, 2)}
    assert all(isinstance(node, InputNode) for node in net.graph.inputs)


def test_two_inputs_in_data_flow_order_match_keras():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = L.Concatenate()([L.Dense(2, name="da")(a), L.Dense(2, name="db")(b)])
    model = randomize_weights(keras.Model([a, b], out))
    check_rate_matches_keras(model)


def test_inputs_are_fed_in_model_inputs_order():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = L.Concatenate()([L.Dense(2, name="db")(b), L.Dense(2, name="da")(a)])
    model = randomize_weights(keras.Model([a, b], out))
    x = random_inputs(model)
    net = snnconvert.convert(model, neuron_type="rate")
    assert_over_time_equals(net.run(x, 2, progress=False).output, keras_outputs(model, x)[0], 2)
