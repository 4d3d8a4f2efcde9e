"""Export to NIR: the file reads back as the same graph, and an independent numpy
simulator of NIR's nodes (``nir_reference``) computes what snnconvert simulates."""

from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir")

import keras  # noqa: E402
from conversion_helpers import randomize_weights  # noqa: E402
from nir_reference import run_nir_graph  # noqa: E402

import snnconvert  # noqa: E402
from snnconvert.data import load_dataset  # noqa: E402
from snnconvert.export import ExportError, export_nir  # noqa: E402

MNIST_CNN = Path(__file__).resolve().parents[2] / "models" / "mnist_cnn.h5"
DT = 0.001


def _export_and_read(net, tmp_path):
    path = tmp_path / "net.nir"
    export_nir(net, path)
    return nir.read(str(path))


def _spike_counts(net, result, name, nir_shape):
    """Spikes per step of a neuron population, from snnconvert's probe, laid out as in
    NIR (``[batch, steps, *nir_shape]``): channels-last values are moved channels first
    (so a test network's shapes must tell the layouts apart: not ``[3, 3, 3]``)."""
    values = result.probes[name]
    if values.shape[2:] != tuple(nir_shape):
        values = np.moveaxis(values, -1, 2)
    return np.round(values * DT / net.graph[name].amplitude, 3)


@pytest.fixture(scope="module")
def mnist_images(data_dir):
    images, _ = load_dataset("mnist", "test", data_dir=data_dir)
    return (images[:6].astype(np.float32) / 255).reshape(-1, 28, 28, 1)


# ------------------------------------------------------------------ the file


def test_mnist_cnn_reads_back_with_nir_types_shapes_and_weights(tmp_path):
    net = snnconvert.convert(MNIST_CNN, scale_firing_rates=4.0, synapse=0.005)
    graph = _export_and_read(net, tmp_path)
    types = {name: type(node).__name__ for name, node in graph.nodes.items()}
    assert types == {
        "input": "Input", "conv1": "Conv2d", "conv1.neurons": "IF", "conv1.synapse": "LI",
        "conv2": "Conv2d", "conv2.neurons": "IF", "conv2.synapse": "LI", "flatten": "Flatten",
        "output": "Affine", "output.output": "Output",
    }
    chain = ["input", "conv1", "conv1.neurons", "conv1.synapse", "conv2"]
    assert all(edge in graph.edges for edge in zip(chain, chain[1:]))
    assert ("output", "output.output") in graph.edges
    assert len(graph.edges) == len(graph.nodes) - 1

    # the gain 4 is folded into the weights and biases feeding each population, the
    # amplitude 1/4 into the weights its spikes reach
    conv1, conv2, dense = net.graph["conv1"], net.graph["conv2"], net.graph["output"]
    assert list(graph.nodes["input"].output_type["output"]) == [1, 28, 28]
    assert tuple(graph.nodes["conv1"].input_shape) == (28, 28)
    assert list(graph.nodes["conv2"].output_type["output"]) == [64, 12, 12]
    np.testing.assert_allclose(graph.nodes["conv1"].weight, 4 * conv1.kernel.transpose(3, 2, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["conv1"].bias, 4 * conv1.bias, rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["conv2"].weight, conv2.kernel.transpose(3, 2, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["conv2"].bias, 4 * conv2.bias, rtol=1e-6)
    assert tuple(graph.nodes["conv2"].stride) == (2, 2) and tuple(graph.nodes["conv2"].padding) == (0, 0)
    # NIR flattens [C, H, W]; row c*144 + h*12 + w of the exported weight is Keras's row (h*12 + w)*64 + c
    rows = dense.kernel.reshape(12, 12, 64, 10).transpose(2, 0, 1, 3).reshape(9216, 10)
    np.testing.assert_allclose(graph.nodes["output"].weight, rows.T / 4, rtol=1e-6)
    np.testing.assert_array_equal(graph.nodes["output"].bias, dense.bias)

    neurons = graph.nodes["conv1.neurons"]
    assert neurons.r.shape == (32, 26, 26)
    assert np.all(neurons.r == 1) and np.all(neurons.v_threshold == 1) and np.all(neurons.v_reset == 0)
    np.testing.assert_allclose(graph.nodes["conv1.synapse"].tau, 0.005)


def test_gain_and_amplitude_stay_where_no_weight_can_take_them():
    """A population fed by pooling keeps ``r = gain``; one read out directly keeps its
    ``Scale`` node (the small networks below check both against the reference)."""
    net = snnconvert.convert(SMALL_NETWORKS["pool_then_relu_readout"](), scale_firing_rates=5.0)
    graph = snnconvert.export.to_nir(net)
    pooled, readout = [node.name for node in net.graph.neuron_nodes]
    assert np.all(graph.nodes[pooled].r == 5) and f"{pooled}.amplitude" not in graph.nodes
    assert np.all(graph.nodes[readout].r == 1)
    np.testing.assert_allclose(graph.nodes[f"{readout}.amplitude"].scale, 0.2)
    assert (f"{readout}.amplitude", f"{net.graph.outputs[0]}.output") in graph.edges


@pytest.mark.parametrize("fold_scales", [True, False])
def test_mnist_cnn_spikes_match_the_reference_simulator_exactly(tmp_path, mnist_images, fold_scales):
    """At scale 100 the neurons fire often (up to two spikes a step); read with
    snnconvert's subtractive reset, the exported file gives every spike of every step,
    with the scales folded into the weights or written as NIR's r and Scale nodes."""
    net = snnconvert.convert(MNIST_CNN, scale_firing_rates=100.0)
    path = tmp_path / "net.nir"
    export_nir(net, path, fold_scales=fold_scales)
    graph = nir.read(str(path))
    literal = {name: node for name, node in graph.nodes.items() if isinstance(node, nir.IF) and np.all(node.r == 100)}
    assert len(literal) == (0 if fold_scales else 2)
    assert sum(name.endswith(".amplitude") for name in graph.nodes) == (0 if fold_scales else 2)
    populations = [node.name for node in net.graph.neuron_nodes]
    result = net.run(mnist_images, 30, initial_state="zeros", probes=populations, progress=False)
    reference = run_nir_graph(graph, np.moveaxis(mnist_images, -1, 1), 30, DT, if_reading="subtractive")
    for name in populations:
        counts = _spike_counts(net, result, name, graph.nodes[name].r.shape)
        assert counts.sum() > 1000, "the check needs spikes"
        np.testing.assert_array_equal(reference[name] * DT, counts, err_msg=name)
    np.testing.assert_allclose(reference["output.output"], result.output, rtol=1e-4, atol=1e-4)


def test_mnist_cnn_with_synapses_matches_the_reference_simulator(tmp_path, mnist_images):
    net = snnconvert.convert(MNIST_CNN, scale_firing_rates=300.0, synapse=0.005)
    graph = _export_and_read(net, tmp_path)
    result = net.run(mnist_images, 30, initial_state="zeros", probes=["conv2.neurons"], progress=False)
    reference = run_nir_graph(graph, np.moveaxis(mnist_images, -1, 1), 30, DT, if_reading="subtractive")
    counts = _spike_counts(net, result, "conv2.neurons", graph.nodes["conv2.neurons"].r.shape)
    # float32 against float64 sums may move a spike that lands on the threshold by a step
    assert np.mean(reference["conv2.neurons"] * DT != counts) < 1e-5
    output = reference["output.output"]
    assert np.abs(output - result.output).max() < 0.01 * np.abs(result.output).max()
    np.testing.assert_array_equal(output[:, -1].argmax(-1), result.output[:, -1].argmax(-1))


# ------------------------------------------------------------------ small networks


def _small_model(*layers, input_shape):
    inputs = keras.Input(input_shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return randomize_weights(keras.Model(inputs, x), seed=3)


SMALL_NETWORKS = {
    "conv1d_same_dilated": lambda: _small_model(
        keras.layers.Conv1D(4, 3, padding="same", dilation_rate=2, activation="relu"),
        keras.layers.Conv1D(6, 3, strides=2, activation="relu"),
        keras.layers.Flatten(), keras.layers.Dense(3), input_shape=(11, 2)),
    "conv2d_same_stride_pool": lambda: _small_model(
        keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        keras.layers.AveragePooling2D(2),
        keras.layers.Conv2D(3, 2, dilation_rate=(1, 2), activation="relu"),
        keras.layers.Flatten(), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(3, use_bias=False),
        input_shape=(13, 13, 3)),
    "global_average_pool": lambda: _small_model(
        keras.layers.Conv2D(5, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2), input_shape=(6, 7, 2)),
    "channels_first": lambda: _small_model(
        keras.layers.Conv2D(3, 3, activation="relu", data_format="channels_first"),
        keras.layers.Flatten(), keras.layers.Dense(2), input_shape=(2, 7, 6)),
    "pool_then_relu_readout": lambda: _small_model(
        keras.layers.Conv2D(4, 3), keras.layers.AveragePooling2D(2), keras.layers.ReLU(),
        keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"), input_shape=(8, 8, 2)),
    "grouped_conv2d": lambda: _small_model(
        keras.layers.Conv2D(6, 3, groups=2, activation="relu"), keras.layers.Conv2D(4, (3, 3), groups=2),
        keras.layers.ReLU(), keras.layers.Flatten(), keras.layers.Dense(3), input_shape=(9, 8, 4)),
    "depthwise": lambda: _small_model(
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"),
        keras.layers.Flatten(), keras.layers.Dense(3), input_shape=(7, 6, 3)),
    "conv1d_grouped_average_pools": lambda: _small_model(
        keras.layers.Conv1D(4, 3, groups=2, activation="relu"), keras.layers.AveragePooling1D(2),
        keras.layers.Conv1D(6, 2, activation="relu"), keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(3), input_shape=(13, 2)),
    "dense_only": lambda: _small_model(
        keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2), input_shape=(5,)),
}


@pytest.mark.parametrize("name", sorted(SMALL_NETWORKS))
def test_small_networks_match_the_reference_simulator(name, tmp_path):
    model = SMALL_NETWORKS[name]()
    net = snnconvert.convert(model, scale_firing_rates=50.0, synapse=0.002)
    graph = _export_and_read(net, tmp_path)
    x = np.abs(np.random.default_rng(0).normal(size=(4, *model.inputs[0].shape[1:]))).astype(np.float32)
    populations = [node.name for node in net.graph.neuron_nodes]
    result = net.run(x, 20, initial_state="zeros", probes=populations, progress=False)
    (nir_input_shape,) = [node.output_type["output"] for node in graph.nodes.values() if isinstance(node, nir.Input)]
    # channels_first data enters NIR as it is; channels-last data is moved channels first
    nir_input = x if tuple(nir_input_shape) == x.shape[1:] else np.moveaxis(x, -1, 1)
    reference = run_nir_graph(graph, nir_input, 20, DT, if_reading="subtractive")
    for population in populations:
        counts = _spike_counts(net, result, population, graph.nodes[population].r.shape)
        assert counts.sum() > 0
        np.testing.assert_array_equal(reference[population] * DT, counts, err_msg=population)
    output = f"{net.graph.outputs[0]}.output"
    np.testing.assert_allclose(reference[output], result.output, rtol=1e-4, atol=1e-4)


@pytest.mark.filterwarnings("ignore:Population .* refractory period:UserWarning")
@pytest.mark.parametrize("name", ["conv2d_same_stride_pool", "dense_only"])
def test_lif_networks_match_the_reference_simulator(name, tmp_path):
    """LIF neurons without refractory period: ``nir.LIF`` with ``tau = tau_rc / scale``
    fires the same spikes; the inputs are positive enough to drive currents above 1."""
    model = SMALL_NETWORKS[name]()
    net = snnconvert.convert(model, neuron_type=snnconvert.LIF(tau_rc=0.02, tau_ref=0), scale_firing_rates=5.0,
                             synapse=0.002)
    graph = _export_and_read(net, tmp_path)
    populations = [node.name for node in net.graph.neuron_nodes]
    assert {type(graph.nodes[p]).__name__ for p in populations} == {"LIF"}
    assert all(np.allclose(graph.nodes[p].tau, 0.004) and np.all(graph.nodes[p].r == 1) for p in populations)
    x = 3 * np.abs(np.random.default_rng(1).normal(size=(4, *model.inputs[0].shape[1:]))).astype(np.float32)
    result = net.run(x, 40, initial_state="zeros", probes=populations, progress=False)
    reference = run_nir_graph(graph, np.moveaxis(x, -1, 1), 40, DT, if_reading="subtractive")
    for population in populations:
        counts = _spike_counts(net, result, population, graph.nodes[population].r.shape)
        assert counts.sum() > 20, "the check needs spikes"
        assert counts.max() == 1
        # float32 against float64 exponentials may move a spike that lands on the threshold by a step
        assert np.mean(reference[population] * DT != counts) < 1e-3, population
    output = f"{net.graph.outputs[0]}.output"
    np.testing.assert_allclose(reference[output], result.output, rtol=1e-3, atol=1e-3 * np.abs(result.output).max())


def test_nir_reset_loses_the_charge_above_threshold():
    """The documented difference: one neuron whose voltage rises 0.75 a step fires 3
    spikes in 4 steps with subtractive reset, every other step with NIR's reset to 0."""
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="relu", kernel_initializer="ones")(inputs))
    net = snnconvert.convert(model)
    graph = snnconvert.export.to_nir(net)
    x = np.array([[750.0]], np.float32)  # 750 per second * 0.001 s = 0.75 a step
    (neurons,) = [node.name for node in net.graph.neuron_nodes]
    subtractive = run_nir_graph(graph, x, 8, DT, if_reading="subtractive")[neurons] * DT
    literal = run_nir_graph(graph, x, 8, DT, if_reading="nir")[neurons] * DT
    np.testing.assert_array_equal(subtractive[0, :, 0], [0, 1, 1, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(literal[0, :, 0], [0, 1, 0, 1, 0, 1, 0, 1])
    snn = net.run(x, 8, initial_state="zeros", probes=[neurons], progress=False)
    np.testing.assert_array_equal(snn.probes[neurons][0, :, 0] * DT, subtractive[0, :, 0])


# ------------------------------------------------------------------ errors


def _conversion(*layers, input_shape, **options):
    inputs = keras.Input(input_shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return snnconvert.convert(keras.Model(inputs, x), **options)


UNSUPPORTED = {
    "lif_refractory": (lambda: _conversion(keras.layers.Dense(3, activation="relu", name="hidden"),
                                           keras.layers.Dense(2), input_shape=(4,), neuron_type="lif"),
                       "hidden", "refractory period.*tau_ref=0"),
    "rate": (lambda: _conversion(keras.layers.Dense(3, activation="relu", name="hidden"), keras.layers.Dense(2),
                                 input_shape=(4,), neuron_type="rate"), "hidden", "RectifiedLinear"),
    "leaky_relu": (lambda: _conversion(keras.layers.Dense(3), keras.layers.LeakyReLU(0.1, name="leaky"),
                                       keras.layers.Dense(2), input_shape=(4,)), "leaky", "negative slope"),
    "max_pool": (lambda: _conversion(keras.layers.MaxPooling2D(2, name="pool"), keras.layers.Flatten(),
                                     keras.layers.Dense(2), input_shape=(4, 4, 1)), "pool",
                 "no max-pooling node.*max_pooling=\"average\""),
    "max_pool_1d": (lambda: _conversion(keras.layers.MaxPooling1D(2, name="pool1d"), keras.layers.Flatten(),
                                        keras.layers.Dense(2), input_shape=(6, 2)), "pool1d", "max_pooling="),
    "average_pool_1d_same": (lambda: _conversion(keras.layers.AveragePooling1D(2, padding="same", name="padded"),
                                                 keras.layers.Flatten(), keras.layers.Dense(2), input_shape=(5, 2)),
                             "padded", "'valid' padding"),
    "average_pool_3d": (lambda: _conversion(keras.layers.AveragePooling3D(2, name="cube"), keras.layers.Flatten(),
                                            keras.layers.Dense(2), input_shape=(4, 4, 4, 1)), "cube", "AveragePool3D"),
    "conv3d": (lambda: _conversion(keras.layers.Conv3D(2, 2, name="volume"), input_shape=(3, 3, 3, 1)),
               "volume", "Conv3D"),
    "transposed": (lambda: _conversion(keras.layers.Conv2DTranspose(2, 2, name="up"), input_shape=(3, 3, 1)),
                   "up", "Conv2DTranspose"),
    "even_same_kernel": (lambda: _conversion(keras.layers.Conv2D(2, 2, padding="same", name="even"),
                                             input_shape=(4, 4, 1)), "even", "pads both sides equally"),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_unsupported_nodes_are_refused_by_name(case, tmp_path):
    build, layer, reason = UNSUPPORTED[case]
    net = build()
    with pytest.raises(ExportError, match=reason) as caught:
        export_nir(net, tmp_path / "net.nir")
    assert repr(layer) in str(caught.value)
    assert not (tmp_path / "net.nir").exists()
