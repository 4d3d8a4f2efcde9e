"""NIR export of sums and concatenations (Add, Subtract, Average, Concatenate): NIR
sums the values on a node's incoming edges, and the numpy reference simulator, which
sums them likewise, fires snnconvert's spikes from the exported file."""

import numpy as np
import pytest

nir = pytest.importorskip("nir")

import keras  # noqa: E402
from conversion_helpers import randomize_weights  # noqa: E402
from nir_reference import run_nir_graph  # noqa: E402

import snnconvert  # noqa: E402
from snnconvert.export import ExportError, to_nir  # noqa: E402

DT = 0.001


def _residual_cnn():
    """conv -> relu -> conv, plus the first relu's spikes (the shortcut), -> relu."""
    inputs = keras.Input((9, 8, 2))
    first = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    second = keras.layers.Conv2D(4, 3, padding="same")(first)
    joined = keras.layers.ReLU()(keras.layers.Add()([second, first]))
    outputs = keras.layers.Dense(3)(keras.layers.Flatten()(joined))
    return randomize_weights(keras.Model(inputs, outputs), seed=5)


def _flat_merges():
    """Subtract of spikes, Average of three, flat Concatenate, and a sum read out."""
    inputs = keras.Input((5,))
    a = keras.layers.Dense(6, activation="relu")(inputs)
    b = keras.layers.Dense(6, activation="relu")(inputs)
    c = keras.layers.Dense(6)(inputs)
    difference = keras.layers.Subtract()([a, b])
    mean = keras.layers.ReLU()(keras.layers.Average()([a, b, c]))
    joined = keras.layers.Concatenate()([mean, keras.layers.Dense(4, activation="relu")(difference)])
    summed = keras.layers.Add()([keras.layers.Dense(3)(joined), keras.layers.Dense(3)(a)])
    return randomize_weights(keras.Model(inputs, summed), seed=6)


def _channel_concatenation():
    inputs = keras.Input((7, 6, 2))
    a = keras.layers.Conv2D(3, 3, activation="relu")(inputs)
    b = keras.layers.Conv2D(2, 3, activation="relu")(inputs)
    joined = keras.layers.Concatenate()([a, b])
    x = keras.layers.Conv2D(4, 2, activation="relu")(joined)
    outputs = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    return randomize_weights(keras.Model(inputs, outputs), seed=7)


def _conv1d_average():
    inputs = keras.Input((10, 3))
    a = keras.layers.Conv1D(4, 3, padding="same", activation="relu")(inputs)
    b = keras.layers.Conv1D(4, 3, padding="same", activation="relu")(a)
    x = keras.layers.Average()([a, b])
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(x))
    return randomize_weights(keras.Model(inputs, outputs), seed=8)


MERGING_NETWORKS = {
    "residual_cnn": _residual_cnn,
    "flat_merges": _flat_merges,
    "channel_concatenation": _channel_concatenation,
    "conv1d_average": _conv1d_average,
}


def _check_against_reference(net, graph, x, n_steps):
    populations = [node.name for node in net.graph.neuron_nodes]
    result = net.run(x, n_steps, initial_state="zeros", probes=populations, progress=False)
    nir_input = np.moveaxis(x, -1, 1) if x.ndim > 2 else x
    reference = run_nir_graph(graph, nir_input, n_steps, DT, if_reading="subtractive")
    for population in populations:
        counts = result.probes[population]
        if counts.ndim > 3:
            counts = np.moveaxis(counts, -1, 2)
        counts = np.round(counts * DT / net.graph[population].amplitude, 3)
        assert counts.sum() > 0, population
        np.testing.assert_array_equal(reference[population] * DT, counts, err_msg=population)
    output = f"{net.graph.outputs[0]}.output"
    np.testing.assert_allclose(reference[output], result.output, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fold_scales", [True, False])
@pytest.mark.parametrize("name", sorted(MERGING_NETWORKS))
def test_merging_networks_match_the_reference_simulator(name, fold_scales, tmp_path):
    model = MERGING_NETWORKS[name]()
    net = snnconvert.convert(model, scale_firing_rates=50.0, synapse=0.002)
    path = tmp_path / "net.nir"
    snnconvert.export.export(net, path, fold_scales=fold_scales)
    x = np.abs(np.random.default_rng(0).normal(size=(4, *model.inputs[0].shape[1:]))).astype(np.float32)
    _check_against_reference(net, nir.read(str(path)), x, 20)


def test_residual_sum_is_edges_into_the_population_with_every_scale_folded():
    """Sinabs-readable: the sum writes no node, both summands feed the population, the
    gain 50 went into the second convolution and times the shortcut's amplitude 1/50
    left the shortcut's spikes unscaled; no Scale node, every r is 1."""
    net = snnconvert.convert(_residual_cnn(), scale_firing_rates=50.0)
    graph = to_nir(net)
    (add,) = [node for node in net.graph if type(node).__name__ == "AddNode"]
    (population,) = [c.name for c in net.graph.consumers(add.name)]
    assert add.name not in graph.nodes
    feeding = sorted(source for source, target in graph.edges if target == population)
    first_population = net.graph[add.inputs[1]].name
    assert feeding == sorted([add.inputs[0], first_population])
    assert not any(isinstance(node, nir.Scale) for node in graph.nodes.values())
    assert all(np.all(node.r == 1) for node in graph.nodes.values() if isinstance(node, nir.IF))
    kernel = net.graph[add.inputs[0]].kernel
    # gain 50 from the population after the sum, amplitude 1/50 from the one before
    np.testing.assert_allclose(graph.nodes[add.inputs[0]].weight, kernel.transpose(3, 2, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(graph.nodes[add.inputs[0]].bias, 50 * net.graph[add.inputs[0]].bias, rtol=1e-6)


def test_subtract_of_dense_outputs_folds_the_minus_one_into_the_weights():
    """relu(x W1 - x W2) with gain 2: the exported weights are 2 W1 and -2 W2."""
    inputs = keras.Input((2,))
    w1, w2 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0], [2.0, 0.0]])
    first = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant(w1), name="first")(inputs)
    second = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant(w2), name="second")(inputs)
    outputs = keras.layers.ReLU(name="relu")(keras.layers.Subtract(name="difference")([first, second]))
    net = snnconvert.convert(keras.Model(inputs, outputs), scale_firing_rates=2.0)
    graph = to_nir(net)
    np.testing.assert_allclose(graph.nodes["first"].weight, 2 * w1.T)
    np.testing.assert_allclose(graph.nodes["second"].weight, -2 * w2.T)
    assert sorted(s for s, t in graph.edges if t == "relu.neurons") == ["first", "second"]


def test_literal_form_writes_coefficients_as_scale_nodes():
    """Average of two spike trains, kept literal: each summand through a Scale of 0.5
    (the amplitude has its own Scale node), both into the Dense node reading the mean."""
    inputs = keras.Input((3,))
    a = keras.layers.Dense(2, activation="relu", name="a")(inputs)
    b = keras.layers.Dense(2, activation="relu", name="b")(inputs)
    mean = keras.layers.Average(name="mean")([a, b])
    net = snnconvert.convert(keras.Model(inputs, keras.layers.Dense(1, name="out")(mean)))
    graph = to_nir(net, fold_scales=False)
    scales = [name for name in graph.nodes if name.startswith("mean.")]
    assert len(scales) == 2
    assert all(np.all(graph.nodes[name].scale == 0.5) for name in scales)
    assert sorted(s for s, t in graph.edges if t == "out") == sorted(scales)


def _refused(model):
    with pytest.raises(ExportError) as caught:
        to_nir(snnconvert.convert(model))
    return str(caught.value)


def test_concatenation_along_a_spatial_axis_is_refused_by_name():
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 1, activation="relu")(inputs)
    joined = keras.layers.Concatenate(axis=1, name="rows")([x, x])
    message = _refused(keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(joined))))
    assert "'rows'" in message and "along the channels" in message and "axis 0" in message


def test_a_sum_that_cancels_out_is_refused_by_name():
    inputs = keras.Input((3,))
    x = keras.layers.Dense(2, activation="relu")(inputs)
    message = _refused(keras.Model(inputs, keras.layers.Subtract(name="nothing")([x, x])))
    assert "'nothing'" in message and "cancel out" in message


def test_export_chooses_the_format_by_suffix_or_name(tmp_path):
    net = snnconvert.convert(_residual_cnn())
    graph = snnconvert.export.export(net, tmp_path / "net.NIR")
    assert set(nir.read(str(tmp_path / "net.NIR")).nodes) == set(graph.nodes)
    snnconvert.export.export(net, tmp_path / "file.bin", format="nir")
    assert (tmp_path / "file.bin").exists()
    # the package itself is callable, and still holds the exporters' functions
    assert set(snnconvert.export(net, tmp_path / "called.nir").nodes) == set(graph.nodes)
    assert snnconvert.export.to_nir is to_nir
    with pytest.raises(ExportError, match=r"format 'onnx'.*formats are: nir"):
        snnconvert.export.export(net, tmp_path / "net.onnx", format="onnx")
    with pytest.raises(ExportError, match=r"'.*net\.h5'.*ending in \.nir or pass format="):
        snnconvert.export.export(net, tmp_path / "net.h5")
