"""The IR on its own: SpikingGraph invariants and the affine-folding pass.

Graphs here are built by hand, and the folded weights are checked against numpy
evaluations of the original ``(linear, affine)`` pair.
"""

import numpy as np
import pytest

from snnconvert.ir import (
    AffineNode,
    Conv2DNode,
    DenseNode,
    InputNode,
    NeuronNode,
    ReshapeNode,
    SpikingGraph,
    fold_affine_into_linear,
)
from snnconvert.neurons import RectifiedLinear

RNG = np.random.default_rng(42)


def f32(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def neurons(name, source, shape):
    return NeuronNode(name=name, inputs=(source,), shape=shape, source=name, neuron_type=RectifiedLinear())


def dense_affine_graph(bias=True, outputs=("relu",)):
    kernel, b = f32(4, 3), (f32(3) if bias else None)
    scale, offset = f32(3), f32(3)
    nodes = [
        InputNode(name="in", shape=(4,), source="in"),
        DenseNode(name="dense", inputs=("in",), shape=(3,), source="dense", kernel=kernel, bias=b),
        AffineNode(name="bn", inputs=("dense",), shape=(3,), source="bn", scale=scale, offset=offset),
        neurons("relu", "bn", (3,)),
    ]
    return SpikingGraph(nodes, list(outputs)), (kernel, b, scale, offset)


# ------------------------------------------------------------------- SpikingGraph
def test_graph_rejects_nodes_out_of_order():
    with pytest.raises(ValueError, match="'dense' reads \\['in'\\]"):
        SpikingGraph(
            [
                DenseNode(name="dense", inputs=("in",), shape=(2,), kernel=f32(3, 2)),
                InputNode(name="in", shape=(3,)),
            ],
            ["dense"],
        )


def test_graph_rejects_duplicate_names_and_unknown_outputs():
    with pytest.raises(ValueError, match="Duplicate node name 'in'"):
        SpikingGraph([InputNode(name="in", shape=(3,)), InputNode(name="in", shape=(3,))], ["in"])
    with pytest.raises(ValueError, match="nowhere"):
        SpikingGraph([InputNode(name="in", shape=(3,))], ["nowhere"])


def test_graph_queries():
    graph, _ = dense_affine_graph()
    assert list(graph.nodes) == ["in", "dense", "bn", "relu"]
    assert [node.name for node in graph.inputs] == ["in"]
    assert [node.name for node in graph.neuron_nodes] == ["relu"]
    assert [node.name for node in graph.consumers("dense")] == ["bn"]
    assert graph["dense"].parameter_count() == 4 * 3 + 3
    assert len(graph) == 4


# ------------------------------------------------------------------ affine folding
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_fold_dense_kernel_and_bias(bias):
    graph, (kernel, b, scale, offset) = dense_affine_graph(bias=bias)
    folded = fold_affine_into_linear(graph)
    assert list(folded.nodes) == ["in", "dense", "relu"]
    node = folded["dense"]
    np.testing.assert_allclose(node.kernel, kernel * scale[None, :], rtol=1e-6)
    expected_bias = (b if bias else 0.0) * scale + offset
    np.testing.assert_allclose(node.bias, expected_bias, rtol=1e-6, atol=1e-7)
    assert node.kernel.dtype == np.float32 and node.bias.dtype == np.float32
    assert node.source == "dense+bn"
    assert folded["relu"].inputs == ("dense",)
    # Same function: (x W + b) * s + o == x W' + b'.
    x = f32(5, 4)
    before = (x @ kernel + (b if bias else 0.0)) * scale + offset
    np.testing.assert_allclose(x @ node.kernel + node.bias, before, rtol=1e-5, atol=1e-6)
    # The pass leaves its input untouched.
    assert list(graph.nodes) == ["in", "dense", "bn", "relu"]
    np.testing.assert_array_equal(graph["dense"].kernel, kernel)


def _conv2d_valid(x, kernel, bias):
    """Reference 'valid' cross-correlation, stride 1, channels last (numpy)."""
    rows, cols, _, out = kernel.shape
    h, w = x.shape[0] - rows + 1, x.shape[1] - cols + 1
    y = np.zeros((h, w, out), np.float64)
    for i in range(h):
        for j in range(w):
            y[i, j] = np.tensordot(x[i : i + rows, j : j + cols], kernel, axes=3)
    return y + (0.0 if bias is None else bias)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_fold_conv2d_kernel_and_bias(bias):
    kernel, b = f32(3, 2, 2, 4), (f32(4) if bias else None)
    scale, offset = f32(4), f32(4)
    graph = SpikingGraph(
        [
            InputNode(name="in", shape=(5, 5, 2)),
            Conv2DNode(name="conv", inputs=("in",), shape=(3, 4, 4), kernel=kernel, bias=b),
            AffineNode(name="bn", inputs=("conv",), shape=(3, 4, 4), scale=scale, offset=offset),
        ],
        ["bn"],
    )
    folded = fold_affine_into_linear(graph)
    assert list(folded.nodes) == ["in", "conv"]
    assert folded.outputs == ["conv"]
    node = folded["conv"]
    np.testing.assert_allclose(node.kernel, kernel * scale.reshape(1, 1, 1, 4), rtol=1e-6)
    x = f32(5, 5, 2)
    before = _conv2d_valid(x, kernel, b) * scale + offset
    np.testing.assert_allclose(_conv2d_valid(x, node.kernel, node.bias), before, rtol=1e-5, atol=1e-5)


def test_no_fold_when_linear_output_is_read_elsewhere():
    graph, _ = dense_affine_graph()
    nodes = list(graph) + [ReshapeNode(name="also_reads_dense", inputs=("dense",), shape=(3,))]
    graph = SpikingGraph(nodes, ["relu", "also_reads_dense"])
    folded = fold_affine_into_linear(graph)
    assert folded is graph


def test_no_fold_when_linear_node_is_an_output():
    graph, _ = dense_affine_graph(outputs=("relu", "dense"))
    assert fold_affine_into_linear(graph) is graph


def test_no_fold_after_neurons_or_input():
    graph = SpikingGraph(
        [
            InputNode(name="in", shape=(3,)),
            AffineNode(name="bn0", inputs=("in",), shape=(3,), scale=f32(3), offset=f32(3)),
            neurons("relu", "bn0", (3,)),
            AffineNode(name="bn1", inputs=("relu",), shape=(3,), scale=f32(3), offset=f32(3)),
        ],
        ["bn1"],
    )
    assert fold_affine_into_linear(graph) is graph


def test_no_fold_of_a_non_channel_affine():
    """A scale that varies along another axis than the last cannot enter the kernel."""
    graph = SpikingGraph(
        [
            InputNode(name="in", shape=(4, 4, 2)),
            Conv2DNode(name="conv", inputs=("in",), shape=(4, 4, 3), kernel=f32(1, 1, 2, 3), bias=f32(3)),
            AffineNode(name="bn", inputs=("conv",), shape=(4, 4, 3), scale=f32(4, 1, 1), offset=f32(4, 1, 1)),
        ],
        ["bn"],
    )
    assert fold_affine_into_linear(graph) is graph


def test_two_affines_in_a_row_fold_only_the_first():
    s1, o1, s2, o2 = f32(3), f32(3), f32(3), f32(3)
    kernel, b = f32(4, 3), f32(3)
    graph = SpikingGraph(
        [
            InputNode(name="in", shape=(4,)),
            DenseNode(name="dense", inputs=("in",), shape=(3,), kernel=kernel, bias=b),
            AffineNode(name="bn1", inputs=("dense",), shape=(3,), scale=s1, offset=o1),
            AffineNode(name="bn2", inputs=("bn1",), shape=(3,), scale=s2, offset=o2),
        ],
        ["bn2"],
    )
    folded = fold_affine_into_linear(graph)
    assert list(folded.nodes) == ["in", "dense", "bn2"]
    assert folded["bn2"].inputs == ("dense",)
    x = f32(6, 4)
    expected = ((x @ kernel + b) * s1 + o1) * s2 + o2
    node = folded["dense"]
    np.testing.assert_allclose((x @ node.kernel + node.bias) * s2 + o2, expected, rtol=1e-5, atol=1e-5)


def test_fold_several_independent_pairs():
    nodes = [InputNode(name="in", shape=(4,))]
    expected = {}
    for branch in ("a", "b"):
        kernel, b, s, o = f32(4, 3), f32(3), f32(3), f32(3)
        nodes += [
            DenseNode(name=branch, inputs=("in",), shape=(3,), kernel=kernel, bias=b),
            AffineNode(name=f"{branch}_bn", inputs=(branch,), shape=(3,), scale=s, offset=o),
        ]
        expected[branch] = (kernel * s, b * s + o)
    graph = SpikingGraph(nodes, ["a_bn", "b_bn"])
    folded = fold_affine_into_linear(graph)
    assert list(folded.nodes) == ["in", "a", "b"]
    assert folded.outputs == ["a", "b"]
    for branch, (kernel, bias) in expected.items():
        np.testing.assert_allclose(folded[branch].kernel, kernel, rtol=1e-6)
        np.testing.assert_allclose(folded[branch].bias, bias, rtol=1e-6, atol=1e-7)
