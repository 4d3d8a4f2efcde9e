"""Fan-out, synaptic operations and ANN MACs, against counts worked out by hand.

A spike's fan-out is the number of non-zero connections it drives in the next
weighted layer (through pooling, reshaping, merging, synapses), or 1 where it feeds
another population or leaves the graph. Graphs here are built from IR nodes directly,
so each count can be checked against a hand table or an independent numpy loop.
"""

import itertools
import math

import keras
import numpy as np
import pytest
import report_helpers as h

import snnconvert
from snnconvert.ir import (
    AddNode,
    AffineNode,
    AveragePool1DNode,
    AveragePool2DNode,
    AveragePool3DNode,
    ConcatenateNode,
    Conv2DNode,
    DenseNode,
    GlobalAveragePool2DNode,
    GlobalAveragePool3DNode,
    GlobalMaxPool1DNode,
    GlobalMaxPool3DNode,
    InputNode,
    MaxPool1DNode,
    MaxPool2DNode,
    MaxPool3DNode,
    ReshapeNode,
)
from snnconvert.metrics import PopulationActivity
from snnconvert.reports import ann_macs, fan_out, synaptic_operations


def _f32(array):
    return np.asarray(array, np.float32)


def _population_into(shape, *rest, outputs):
    """``x -> p.neurons -> rest...``: the nodes of a graph whose origin is ``p.neurons``."""
    return h.graph([InputNode(name="x", shape=tuple(shape)), h.neurons("p.neurons", "x", shape), *rest],
                   outputs)


def conv_fan_out_reference(in_shape, kernel, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Connections of each input element of a Conv2D, by looping over every output."""
    rows, cols, _ = in_shape
    k_rows, k_cols, _, _ = kernel.shape
    span_r = (k_rows - 1) * dilation[0] + 1
    span_c = (k_cols - 1) * dilation[1] + 1
    if padding == "valid":
        out_r = (rows - span_r) // strides[0] + 1
        out_c = (cols - span_c) // strides[1] + 1
        top = left = 0
    else:  # "same", TensorFlow's convention: the extra padding goes at the bottom/right
        out_r, out_c = math.ceil(rows / strides[0]), math.ceil(cols / strides[1])
        top = max((out_r - 1) * strides[0] + span_r - rows, 0) // 2
        left = max((out_c - 1) * strides[1] + span_c - cols, 0) // 2
    nonzero = (kernel != 0).sum(axis=3)  # [k_rows, k_cols, in_channels]: filters reached
    counts = np.zeros(in_shape)
    for i in range(out_r):
        for j in range(out_c):
            for di in range(k_rows):
                for dj in range(k_cols):
                    r = i * strides[0] + di * dilation[0] - top
                    c = j * strides[1] + dj * dilation[1] - left
                    if 0 <= r < rows and 0 <= c < cols:
                        counts[r, c] += nonzero[di, dj]
    return counts


# ---------------------------------------------------------------- Dense


def test_dense_fan_out_is_the_number_of_nonzero_weights_in_each_row():
    kernel = _f32([[1, 0, 2], [0, 0, 0], [3, 4, 5], [0, -1, 0]])
    g = _population_into((4,), DenseNode(name="d", inputs=("p.neurons",), shape=(3,), kernel=kernel,
                                         bias=_f32([9, 9, 9])), outputs=["d"])
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [2, 0, 3, 1])


def test_dense_on_a_rank3_input_counts_the_kernel_row_of_each_channel():
    kernel = _f32([[1, 0], [1, 1], [0, 0]])  # channel 0 drives 1, channel 1 drives 2, channel 2 none
    g = _population_into((2, 2, 3), DenseNode(name="d", inputs=("p.neurons",), shape=(2, 2, 2),
                                              kernel=kernel), outputs=["d"])
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [1, 2, 0] * 4)


def test_a_synapse_between_population_and_dense_adds_no_connections():
    kernel = _f32([[1, 1], [0, 1], [0, 0]])
    g = _population_into(
        (3,),
        h.synapse("p.synapse", "p.neurons", (3,)),
        DenseNode(name="d", inputs=("p.synapse",), shape=(2,), kernel=kernel),
        outputs=["d"],
    )
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [2, 1, 0])


# ---------------------------------------------------------------- Conv2D


def _conv_graph(in_shape, kernel, out_shape, **options):
    return _population_into(
        in_shape,
        Conv2DNode(name="c", inputs=("p.neurons",), shape=out_shape, kernel=_f32(kernel),
                   bias=np.ones(kernel.shape[3], np.float32), **options),
        outputs=["c"],
    )


def test_conv_valid_stride1_by_hand():
    # 4x4 input, 3x3 kernel, one filter: a pixel is covered by 1, 2 or 4 of the 2x2 outputs.
    g = _conv_graph((4, 4, 1), np.ones((3, 3, 1, 1)), (2, 2, 1))
    expected = [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(4, 4), expected)


def test_conv_valid_stride2_by_hand():
    # 5x5 input, 3x3 kernel, stride 2: outputs read rows/cols 0-2 and 2-4, so the
    # middle row and column are read twice.
    g = _conv_graph((5, 5, 1), np.ones((3, 3, 1, 1)), (2, 2, 1), strides=(2, 2))
    line = np.array([1, 1, 2, 1, 1])
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(5, 5), np.outer(line, line))


def test_conv_same_padding_by_hand():
    # 4x4 input, 3x3 kernel, same padding, two filters: per axis a pixel is covered by
    # 2 (border) or 3 (inside) outputs, times 2 filters.
    g = _conv_graph((4, 4, 1), np.ones((3, 3, 1, 2)), (4, 4, 2), padding="same")
    line = np.array([2, 3, 3, 2])
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(4, 4), 2 * np.outer(line, line))


@pytest.mark.parametrize(
    "in_shape, strides, padding, dilation",
    [
        ((6, 5, 2), (1, 1), "valid", (1, 1)),
        ((7, 6, 2), (2, 2), "valid", (1, 1)),
        ((6, 7, 2), (2, 1), "same", (1, 1)),
        ((5, 5, 2), (2, 2), "same", (1, 1)),
        ((7, 7, 2), (1, 1), "valid", (2, 2)),
    ],
)
def test_conv_fan_out_matches_a_loop_over_outputs_with_zero_weights(in_shape, strides, padding, dilation):
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 2, 3)).astype(np.float32)
    kernel[rng.uniform(size=kernel.shape) < 0.4] = 0.0  # zero weights are not connections
    out_shape = tuple(keras.layers.Conv2D(3, 3, strides=strides, padding=padding, dilation_rate=dilation)
                      .compute_output_shape((1, *in_shape))[1:])
    g = _conv_graph(in_shape, kernel, out_shape, strides=strides, padding=padding, dilation_rate=dilation)
    expected = conv_fan_out_reference(in_shape, kernel, strides, padding, dilation)
    assert expected.min() < expected.max()  # a non-trivial pattern
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), expected.reshape(-1))


# ---------------------------------------------------------------- pooling, reshaping


def _pool_then_dense(in_shape, pool_shape, kernel, **pool_options):
    return _population_into(
        in_shape,
        AveragePool2DNode(name="pool", inputs=("p.neurons",), shape=pool_shape, **pool_options),
        ReshapeNode(name="flat", inputs=("pool",), shape=(int(np.prod(pool_shape)),)),
        DenseNode(name="d", inputs=("flat",), shape=(kernel.shape[1],), kernel=_f32(kernel)),
        outputs=["d"],
    )


def test_average_pooling_then_dense_counts_the_dense_row_of_the_pooled_unit():
    # 2x2 pooling of 4x4 -> 2x2 -> 4 values; Dense rows have 3, 1, 0 and 2 non-zeros.
    kernel = np.array([[1, 2, 3], [0, 0, 1], [0, 0, 0], [4, 0, 5]])
    g = _pool_then_dense((4, 4, 1), (2, 2, 1), kernel)
    expected = [[3, 3, 1, 1], [3, 3, 1, 1], [0, 0, 2, 2], [0, 0, 2, 2]]
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(4, 4), expected)


def test_valid_pooling_drops_the_last_row_and_column_of_an_odd_input():
    g = _pool_then_dense((5, 5, 1), (2, 2, 1), np.ones((4, 2)))
    expected = np.zeros((5, 5))
    expected[:4, :4] = 2
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(5, 5), expected)


def test_overlapping_pooling_counts_every_window_a_neuron_is_in():
    # pool 2, stride 1 on 3x3 -> 2x2; each pooled unit drives one connection.
    g = _pool_then_dense((3, 3, 1), (2, 2, 1), np.ones((4, 1)), strides=(1, 1))
    expected = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(3, 3), expected)


def test_same_padding_pooling_counts_each_border_neuron_once():
    # pool 2, stride 2, same on 3x3 -> 2x2: every pixel lies in exactly one window, and
    # each pooled unit drives one Dense connection, so every fan-out is 1.
    g = _pool_then_dense((3, 3, 1), (2, 2, 1), np.ones((4, 1)), padding="same")
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(3, 3), np.ones((3, 3)))


def test_global_average_pooling_then_dense_counts_the_row_of_the_channel():
    kernel = _f32([[1, 2, 3], [0, 4, 0]])
    g = _population_into(
        (2, 3, 2),
        GlobalAveragePool2DNode(name="gap", inputs=("p.neurons",), shape=(2,)),
        DenseNode(name="d", inputs=("gap",), shape=(3,), kernel=kernel),
        outputs=["d"],
    )
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [3, 1] * 6)


def test_flatten_keeps_row_major_order():
    # Flattened index r*4 + c*2 + ch reads kernel row of that index; the non-zero
    # counts of the 8 rows are 0..3 in a scrambled order.
    counts = np.array([3, 0, 2, 1, 1, 3, 0, 2])
    kernel = np.zeros((8, 3), np.float32)
    for row, count in enumerate(counts):
        kernel[row, :count] = row + 1.0
    g = _population_into(
        (2, 2, 2),
        ReshapeNode(name="flat", inputs=("p.neurons",), shape=(8,)),
        DenseNode(name="d", inputs=("flat",), shape=(3,), kernel=kernel),
        outputs=["d"],
    )
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), counts)


def test_affine_between_population_and_dense_keeps_the_connection_count():
    # A BatchNormalization after the neurons: scales and offsets change values, not wiring.
    kernel = _f32([[0, 5], [1, 1], [0, 0]])
    g = _population_into(
        (3,),
        AffineNode(name="bn", inputs=("p.neurons",), shape=(3,), scale=_f32([2.0, -1.0, 0.5]),
                   offset=_f32([1.0, 1.0, 1.0])),
        DenseNode(name="d", inputs=("bn",), shape=(2,), kernel=kernel),
        outputs=["d"],
    )
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [1, 2, 0])


# ---------------------------------------------------------------- max pooling and other ranks
# A spike into a max-pool passes on only into the windows that currently select its
# neuron; the fan-out counts every window containing it (what the spike drives when
# it wins them all), the same connections as sum pooling: an upper bound.


def _pool_into_dense(in_shape, pool, kernel):
    """``p.neurons`` -> ``pool`` -> Flatten -> Dense(kernel)."""
    return _population_into(
        in_shape,
        pool,
        ReshapeNode(name="flat", inputs=("pool",), shape=(kernel.shape[0],)),
        DenseNode(name="d", inputs=("flat",), shape=(kernel.shape[1],), kernel=_f32(kernel)),
        outputs=["d"],
    )


def test_max_pooling_counts_the_dense_row_of_the_window_of_each_neuron():
    # The 2x2 max-pool of 4x4 -> 2x2; a spike that passes drives its window's Dense row
    # (3, 1, 0 and 2 non-zeros), as for average pooling.
    kernel = np.array([[1, 2, 3], [0, 0, 1], [0, 0, 0], [4, 0, 5]])
    pool = MaxPool2DNode(name="pool", inputs=("p.neurons",), shape=(2, 2, 1), input_shape=(4, 4, 1))
    g = _pool_into_dense((4, 4, 1), pool, kernel)
    expected = [[3, 3, 1, 1], [3, 3, 1, 1], [0, 0, 2, 2], [0, 0, 2, 2]]
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(4, 4), expected)


def test_overlapping_max_pool_windows_each_may_pass_the_spike_on():
    # Pool 3, stride 1 on 5 cells: windows [0-2], [1-3], [2-4] with Dense rows of 1, 2
    # and 4 non-zeros. Cell 2 lies in all three windows: if it has the most input in
    # each, its spike passes into all three, 1 + 2 + 4 = 7 connections.
    kernel = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    pool = MaxPool1DNode(name="pool", inputs=("p.neurons",), shape=(3, 1), input_shape=(5, 1),
                         pool_size=(3,), strides=(1,))
    g = _pool_into_dense((5, 1), pool, kernel)
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [1, 3, 7, 6, 4])


@pytest.mark.parametrize("pool_type", [AveragePool1DNode, MaxPool1DNode])
def test_same_padding_1d_pooling_counts_the_cut_window_once(pool_type):
    # Pool 2, stride 2, same on 5 cells: windows [0, 1], [2, 3], [4]; Dense rows 2, 1, 3.
    extra = {"input_shape": (5, 1)} if pool_type is MaxPool1DNode else {}
    pool = pool_type(name="pool", inputs=("p.neurons",), shape=(3, 1), padding="same", **extra)
    g = _pool_into_dense((5, 1), pool, np.array([[1, 1, 0], [0, 1, 0], [1, 1, 1]]))
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [2, 2, 1, 1, 3])


def pool_windows_reference(spatial, pool, strides, padding):
    """For each window (row-major), the input cells it covers, by enumerating windows."""
    axes = []
    for size, k, s in zip(spatial, pool, strides):
        if padding == "valid":
            count, before = (size - k) // s + 1, 0
        else:
            count = math.ceil(size / s)
            before = max((count - 1) * s + k - size, 0) // 2
        axes.append([[c for c in range(o * s - before, o * s - before + k) if 0 <= c < size] for o in range(count)])
    windows = []
    for per_axis in itertools.product(*axes):
        windows.append(list(itertools.product(*per_axis)))
    return windows


@pytest.mark.parametrize("pool_type", [AveragePool3DNode, MaxPool3DNode])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding, strides", [("valid", (2, 1, 2)), ("same", (2, 2, 2))])
def test_3d_pooling_fan_out_matches_a_loop_over_windows(pool_type, data_format, padding, strides):
    spatial, channels, pool = (4, 3, 5), 2, (2, 2, 3)
    windows = pool_windows_reference(spatial, pool, strides, padding)
    out_spatial = tuple(keras.layers.MaxPooling3D(pool, strides, padding).compute_output_shape((1, *spatial, 1))[1:4])
    assert len(windows) == math.prod(out_spatial)
    if data_format == "channels_last":
        in_shape, out_shape = (*spatial, channels), (*out_spatial, channels)
    else:
        in_shape, out_shape = (channels, *spatial), (channels, *out_spatial)
    extra = {"input_shape": in_shape} if pool_type is MaxPool3DNode else {}
    rng = np.random.default_rng(1)
    kernel = (rng.uniform(size=(math.prod(out_shape), 3)) < 0.5).astype(np.float32)
    pool_node = pool_type(name="pool", inputs=("p.neurons",), shape=out_shape, pool_size=pool, strides=strides,
                          padding=padding, data_format=data_format, **extra)
    g = _pool_into_dense(in_shape, pool_node, kernel)
    rows = kernel.sum(axis=1).reshape(out_shape)
    expected = np.zeros(in_shape)
    for window, cells in zip(itertools.product(*(range(n) for n in out_spatial)), windows):
        for channel in range(channels):
            for cell in cells:
                if data_format == "channels_last":
                    expected[(*cell, channel)] += rows[(*window, channel)]
                else:
                    expected[(channel, *cell)] += rows[(channel, *window)]
    assert expected.min() < expected.max()
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), expected.reshape(-1))


@pytest.mark.parametrize(
    "pool",
    [
        GlobalMaxPool1DNode(name="gp", inputs=("p.neurons",), shape=(2,), input_shape=(3, 2)),
        GlobalMaxPool3DNode(name="gp", inputs=("p.neurons",), shape=(2, 1, 1, 1), input_shape=(2, 1, 3, 1),
                            keepdims=True, data_format="channels_first"),
        GlobalAveragePool3DNode(name="gp", inputs=("p.neurons",), shape=(2,), data_format="channels_first"),
    ],
    ids=["max1d", "max3d_channels_first_keepdims", "average3d_channels_first"],
)
def test_global_pooling_counts_the_row_of_the_channel(pool):
    kernel = _f32([[1, 2, 3], [0, 4, 0]])  # channel 0 drives 3 connections, channel 1 one
    in_shape = pool.input_shape if hasattr(pool, "input_shape") else (2, 3, 1, 1)
    g = _population_into(
        in_shape,
        pool,
        ReshapeNode(name="flat", inputs=("gp",), shape=(2,)),
        DenseNode(name="d", inputs=("flat",), shape=(3,), kernel=kernel),
        outputs=["d"],
    )
    channel_last = pool.data_format == "channels_last"
    expected = np.broadcast_to([3, 1], (3, 2)) if channel_last else np.repeat([3, 1], 3)
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), np.ravel(expected))


def _gated_graph():
    """Currents (4,) -> p.neurons -> max-pool of windows [0, 1], [2, 3] -> Dense with rows
    of 3 and 1 non-zeros."""
    return h.graph(
        [
            InputNode(name="x", shape=(4, 1)),
            h.neurons("p.neurons", "x", (4, 1)),
            MaxPool1DNode(name="pool", inputs=("p.neurons",), shape=(2, 1), input_shape=(4, 1)),
            ReshapeNode(name="flat", inputs=("pool",), shape=(2,)),
            DenseNode(name="d", inputs=("flat",), shape=(3,), kernel=_f32([[1, 1, 1], [0, 0, 2]])),
        ],
        ["d"],
    )


@pytest.mark.parametrize(
    "currents, exact",
    [([750.0, 0.0, 0.0, 500.0], True), ([750.0, 250.0, 250.0, 500.0], False)],
    ids=["one_active_unit_per_window", "two_active_units_per_window"],
)
def test_max_pool_synaptic_operations_bound_the_spikes_that_pass(currents, exact):
    # From v = 0, units fire 0.75, 0.25 and 0.5 spikes per step: 15, 5 and 10 in 20 steps.
    # Units 0 and 3 lead their windows from their first spike on (no tie with a spike),
    # so exactly their spikes pass: 15 into the 3-connection row, 10 into the other.
    from snnconvert.simulation import Simulator

    g = _gated_graph()
    x = np.array([currents], np.float32)[..., None]
    result = Simulator(g, initial_state="zeros").run(x, 20, probes=["pool"], progress=False)
    counted = synaptic_operations(g, result.activity)["p"]
    spikes = result.activity["p"].per_neuron
    np.testing.assert_array_equal(spikes, np.array(currents) / 50)
    assert counted == float(np.dot(spikes, [3, 3, 1, 1]))
    passed = result.probes["pool"][0, :, :, 0].sum(axis=0) * 0.001  # a spike is worth 1 / dt
    np.testing.assert_allclose(passed, [15, 10], rtol=1e-6)
    if exact:
        assert counted == 15 * 3 + 10 * 1
    else:  # the trailing units' 5 + 5 spikes are counted but dropped by the gate
        assert counted == 15 * 3 + 10 * 1 + 5 * 3 + 5 * 1


# ---------------------------------------------------------------- merging


def _two_populations(merge, kernel):
    """``a`` (2 neurons, after a Dense) and ``b`` (3 neurons) merged, then a Dense."""
    return h.graph(
        [
            InputNode(name="x", shape=(3,)),
            DenseNode(name="da", inputs=("x",), shape=(2,), kernel=np.ones((3, 2), np.float32)),
            h.neurons("a.neurons", "da", (2,)),
            h.neurons("b.neurons", "x", (3,)),
            merge,
            DenseNode(name="d", inputs=(merge.name,), shape=(kernel.shape[1],), kernel=_f32(kernel)),
        ],
        ["d"],
    )


def test_concatenated_populations_each_count_their_own_rows():
    kernel = np.array([[1, 1], [0, 0], [0, 3], [2, 2], [1, 0]])  # row counts 2, 0, 1, 2, 1
    merge = ConcatenateNode(name="cat", inputs=("a.neurons", "b.neurons"), shape=(5,), axis=0)
    g = _two_populations(merge, kernel)
    np.testing.assert_array_equal(fan_out(g, "a.neurons"), [2, 0])
    np.testing.assert_array_equal(fan_out(g, "b.neurons"), [1, 2, 1])


def test_added_populations_share_the_rows_of_the_sum():
    g = h.graph(
        [
            InputNode(name="x", shape=(3,)),
            h.neurons("a.neurons", "x", (3,)),
            h.neurons("b.neurons", "x", (3,)),
            AddNode(name="add", inputs=("a.neurons", "b.neurons"), shape=(3,)),
            DenseNode(name="d", inputs=("add",), shape=(2,), kernel=_f32([[1, 1], [0, 7], [0, 0]])),
        ],
        ["d"],
    )
    np.testing.assert_array_equal(fan_out(g, "a.neurons"), [2, 1, 0])
    np.testing.assert_array_equal(fan_out(g, "b.neurons"), [2, 1, 0])


# ---------------------------------------------------------------- populations and outputs


def test_population_feeding_another_population_directly_has_fan_out_one():
    # a -> synapse -> b -> Dense: a's spikes drive b's neurons one to one; the Dense
    # connections belong to b.
    g = h.graph(
        [
            InputNode(name="x", shape=(3,)),
            h.neurons("a.neurons", "x", (3,)),
            h.synapse("a.synapse", "a.neurons", (3,)),
            h.neurons("b.neurons", "a.synapse", (3,)),
            DenseNode(name="d", inputs=("b.neurons",), shape=(4,), kernel=np.ones((3, 4), np.float32)),
        ],
        ["d"],
    )
    np.testing.assert_array_equal(fan_out(g, "a.neurons"), [1, 1, 1])
    np.testing.assert_array_equal(fan_out(g, "b.neurons"), [4, 4, 4])


@pytest.mark.parametrize("with_synapse", [False, True])
def test_population_that_is_a_graph_output_has_fan_out_one(with_synapse):
    nodes = [
        InputNode(name="x", shape=(2,)),
        DenseNode(name="d", inputs=("x",), shape=(3,), kernel=np.ones((2, 3), np.float32)),
        h.neurons("p.neurons", "d", (3,)),
    ]
    if with_synapse:
        nodes.append(h.synapse("p.synapse", "p.neurons", (3,)))
    g = h.graph(nodes, [nodes[-1].name])
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [1, 1, 1])


def test_converted_keras_chain_matches_the_reference_counts():
    """conv1 (relu) -> conv2 (stride 2, relu) -> Flatten -> Dense, as the MNIST CNN but tiny."""
    keras.utils.set_random_seed(5)
    model = keras.Sequential([
        keras.Input((7, 7, 1)),
        keras.layers.Conv2D(2, 3, activation="relu", name="conv1"),
        keras.layers.Conv2D(3, 3, strides=2, activation="relu", name="conv2"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(4, name="out"),
    ])
    k2, b2 = model.get_layer("conv2").get_weights()
    k2[0, :, 1, :] = 0.0  # channel 1 reaches no filter through the kernel's first row
    model.get_layer("conv2").set_weights([k2, b2])
    k3, b3 = model.get_layer("out").get_weights()
    k3[5, :] = 0.0
    k3[7, 1:] = 0.0
    model.get_layer("out").set_weights([k3, b3])
    net = snnconvert.convert(model, synapse=0.005)
    np.testing.assert_array_equal(fan_out(net.graph, "conv1.neurons"),
                                  conv_fan_out_reference((5, 5, 2), k2, (2, 2)).reshape(-1))
    np.testing.assert_array_equal(fan_out(net.graph, "conv2.neurons"), np.count_nonzero(k3, axis=1))


# ---------------------------------------------------------------- ANN MACs


def test_ann_macs_by_hand():
    # Conv 3x3x2 -> 4 filters, stride 2 on 5x5: 2x2x4 = 16 outputs x 18 MACs = 288;
    # pooling and reshaping cost nothing; Dense 16 -> 3: 48; Dense on rank 3
    # (2,2,3) -> (2,2,2): 8 outputs x 3 = 24. Zero weights are still multiplied by the ANN.
    conv_kernel = np.zeros((3, 3, 2, 4), np.float32)
    g = h.graph(
        [
            InputNode(name="x", shape=(5, 5, 2)),
            Conv2DNode(name="c", inputs=("x",), shape=(2, 2, 4), kernel=conv_kernel, strides=(2, 2)),
            h.neurons("c.neurons", "c", (2, 2, 4)),
            ReshapeNode(name="flat", inputs=("c.neurons",), shape=(16,)),
            DenseNode(name="d", inputs=("flat",), shape=(3,), kernel=np.ones((16, 3), np.float32)),
            InputNode(name="z", shape=(2, 2, 3)),
            AveragePool2DNode(name="pool", inputs=("z",), shape=(1, 1, 3)),
            DenseNode(name="e", inputs=("z",), shape=(2, 2, 2), kernel=np.ones((3, 2), np.float32)),
        ],
        ["d", "e", "pool"],
    )
    assert ann_macs(g) == 288 + 48 + 24
    assert isinstance(ann_macs(g), int)


def test_ann_macs_of_a_converted_mlp(mlp):
    assert ann_macs(snnconvert.convert(mlp).graph) == 6 * 5 + 5 * 4 + 4 * 3


# ---------------------------------------------------------------- synaptic operations


def test_synaptic_operations_is_spikes_times_fan_out_by_hand():
    kernel = _f32([[1, 0, 2], [0, 0, 0], [3, 4, 5], [0, -1, 0]])  # fan-out 2, 0, 3, 1
    g = _population_into((4,), DenseNode(name="d", inputs=("p.neurons",), shape=(3,), kernel=kernel),
                         outputs=["d"])
    activity = {
        "p": PopulationActivity(node="p.neurons", layer="p", spiking=True, per_image=np.array([10.0, 4.0]),
                                per_neuron=np.array([5.0, 9.0, 2.0, 7.0]), n_steps=10, dt=0.001),
    }
    assert synaptic_operations(g, activity) == {"p": 5 * 2 + 9 * 0 + 2 * 3 + 7 * 1}


def test_synaptic_operations_of_a_simulation(mlp, mlp_data):
    x, y = mlp_data
    net = snnconvert.convert(mlp, scale_firing_rates=300, synapse=0.005)
    result = net.evaluate(x, y, 20, batch_size=16, progress=False)
    synops = synaptic_operations(net.graph, result.activity)
    # h1 drives h2 (one zero in rows 1 and 3); h2 drives out (row 0: one zero, row 2: all zero).
    h1, h2 = result.activity["h1"].per_neuron, result.activity["h2"].per_neuron
    assert h1.sum() > 0 and h2.sum() > 0
    assert set(synops) == {"h1", "h2"}
    assert synops["h1"] == pytest.approx(float(np.dot(h1, [4, 3, 4, 3, 4])))
    assert synops["h2"] == pytest.approx(float(np.dot(h2, [2, 3, 0, 3])))
    assert synops["h2"] < 3 * h2.sum()  # the silent row really is skipped


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_a_non_spiking_layer_reads_each_arriving_value_once(activation):
    """Its function is not linear: fan-out must not become its derivative times the connections."""
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(4, activation="relu", name="a"),
        keras.layers.Activation(activation, name="act"), keras.layers.Dense(3, name="out"),
    ])
    graph = snnconvert.convert(model, non_spiking="rate").graph
    np.testing.assert_array_equal(fan_out(graph, "a.neurons"), np.ones(4))
