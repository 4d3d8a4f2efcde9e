"""Layer-by-layer bias correction, and the integrating readout, on small networks.

References: spike counts worked out from the neuron model with the simulator's own
initial voltages (count after t steps = max(floor(v0 + t * r), 0)), Keras outputs,
and running means computed with numpy from the unreadout output.
"""

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.calibration.correction import channel_means, correct_biases, shift_input
from snnconvert.calibration.percentile import rate_twin_graph
from snnconvert.ir import AffineNode, DenseNode
from snnconvert.simulation.state import initial_voltage


def one_unit_model(bias=0.0):
    """x -> Dense 1 relu (weight 1) -> Dense 1 (weight 1): the activation is relu(x + bias)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="relu", name="hidden"),
                              keras.layers.Dense(1, name="out")])
    model.get_layer("hidden").set_weights([np.ones((1, 1), np.float32), np.full(1, bias, np.float32)])
    model.get_layer("out").set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    return model


def test_channel_means_of_the_rate_twin_are_keras_activations():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(7, 5, 5, 2)).astype(np.float32)
    graph = snnconvert.convert(model, neuron_type="integrate_and_fire").graph
    population = graph.neuron_nodes[0].name
    means = channel_means(rate_twin_graph(graph), x, [population], 1)[population]
    activations = keras.Model(model.inputs, model.get_layer("conv").output)(x).numpy()
    np.testing.assert_allclose(means, activations.mean(axis=(0, 1, 2)), rtol=1e-5)


def test_correction_cancels_the_hand_worked_mean_error_of_one_neuron():
    # Activation 0.3 at scale 1000: r = 0.3 spikes per step; after 2 steps a neuron
    # starting at v0 has fired floor(v0 + 0.6) spikes, each worth 1/1000 over 1 ms.
    x = np.full((37, 1), 0.3, np.float32)  # 37 draws cannot hit 0.6 exactly
    net = snnconvert.convert(one_unit_model(), neuron_type="integrate_and_fire", scale_firing_rates=1000)
    population = net.graph.neuron_nodes[0].name
    v0 = initial_voltage("uniform", population, (37, 1), 0)
    spikes = np.floor(v0[:, 0] + 0.6)
    measured = spikes.mean() / 2  # mean output per step, in activation units
    assert measured != pytest.approx(0.3, abs=1e-3)  # a real error to correct
    corrected, offsets = correct_biases(net.graph, x, {population: np.array([0.3])}, n_steps=2)
    np.testing.assert_allclose(offsets[population], [0.3 - measured], rtol=1e-5)
    hidden = corrected[net.graph[population].inputs[0]]
    np.testing.assert_allclose(hidden.bias, [0.3 - measured], rtol=1e-5)


def test_shift_input_adds_to_a_bias_or_inserts_an_offset_before_a_merge():
    inputs = keras.Input((3,))
    left = keras.layers.Dense(3, name="left")(inputs)
    merged = keras.layers.ReLU(name="relu")(keras.layers.Add(name="add")([left, inputs]))
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(merged))
    graph = snnconvert.convert(model, neuron_type="integrate_and_fire").graph
    population = graph.neuron_nodes[0].name
    offset = np.array([0.5, -1.0, 2.0], np.float32)
    shifted = shift_input(graph, population, offset)
    correction = shifted[shifted[population].inputs[0]]
    assert isinstance(correction, AffineNode)
    np.testing.assert_array_equal(correction.offset, offset)
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    before = snnconvert.SpikingNetwork(rate_twin_graph(graph)).predict(x, 1, progress=False)[:, 0]
    after = snnconvert.SpikingNetwork(rate_twin_graph(shifted)).predict(x, 1, progress=False)[:, 0]
    w, b = model.get_layer("out").get_weights()
    pre = x @ model.get_layer("left").get_weights()[0] + model.get_layer("left").get_weights()[1] + x
    np.testing.assert_allclose(before, np.maximum(pre, 0) @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(after, np.maximum(pre + offset, 0) @ w + b, rtol=1e-5, atol=1e-6)


def test_correction_brings_every_layer_mean_closer_to_the_ann():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
    x = np.random.default_rng(2).random((300, 8)).astype(np.float32)
    net = snnconvert.convert(model, neuron_type="integrate_and_fire", scale_firing_rates=200)
    populations = [node.name for node in net.graph.neuron_nodes]
    reference = channel_means(rate_twin_graph(net.graph), x, populations, 1)
    corrected, _ = correct_biases(net.graph, x, reference, n_steps=8)
    before = channel_means(net.graph, x, populations, 8)
    after = channel_means(corrected, x, populations, 8)
    for name in populations:
        error_before = np.abs(before[name] - reference[name]).mean()
        error_after = np.abs(after[name] - reference[name]).mean()
        assert error_after < error_before, name
    assert isinstance(corrected[corrected[populations[0]].inputs[0]], DenseNode)
