"""Connection counts from each node's own geometry (``reports.connections``), against
numbers worked out by hand, and the refusal of a node type with no counting rule."""

import dataclasses

import numpy as np
import pytest
import report_helpers as h

from snnconvert.ir import Conv1DNode, Conv1DTransposeNode, DenseNode, InputNode, Node
from snnconvert.ir.geometry import leading_padding, tap_matrix, window_matrix
from snnconvert.reports import fan_out


def _into(node_type, in_shape, out_shape, kernel, **options):
    """``x -> p.neurons -> node -> output`` with ``kernel``."""
    return h.graph(
        [
            InputNode(name="x", shape=in_shape),
            h.neurons("p.neurons", "x", in_shape),
            node_type(name="w", inputs=("p.neurons",), shape=out_shape, kernel=np.asarray(kernel, np.float32),
                      **options),
        ],
        ["w"],
    )


def test_dilated_convolution_by_hand():
    # width 3, dilation 2, 7 cells, valid: outputs 0, 1, 2 read cells (0, 2, 4), (1, 3, 5), (2, 4, 6)
    g = _into(Conv1DNode, (7, 1), (3, 1), np.ones((3, 1, 1)), dilation_rate=(2,))
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [1, 1, 2, 1, 2, 1, 1])


def test_causal_convolution_by_hand():
    # width 3, causal: output o reads cells o - 2, o - 1, o, so cell r is read by outputs r, r + 1, r + 2 < 4
    g = _into(Conv1DNode, (4, 1), (4, 1), np.ones((3, 1, 1)), padding="causal")
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [3, 3, 2, 1])


def test_strided_same_convolution_by_hand():
    # width 4, stride 2, 5 cells, "same": 3 outputs, 3 zeros of padding (1 before, 2 after);
    # output o reads cells 2o - 1 ... 2o + 2: (0, 1, 2), (1, 2, 3, 4), (3, 4)
    g = _into(Conv1DNode, (5, 1), (3, 1), np.ones((4, 1, 1)), strides=(2,), padding="same")
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [1, 2, 2, 2, 2])


def test_grouped_convolution_counts_only_the_filters_of_the_channel_group():
    # 4 channels in 2 groups, 4 filters (2 per group), width 1; channel 3 (group 1, kernel
    # row 1) has one zero weight into its group's filters 2 and 3
    kernel = np.ones((1, 2, 4))
    kernel[0, 1, 3] = 0
    g = _into(Conv1DNode, (2, 4), (2, 4), kernel, groups=2)
    np.testing.assert_array_equal(fan_out(g, "p.neurons").reshape(2, 4), [[2, 2, 2, 1]] * 2)


def test_transposed_convolution_by_hand():
    # width 3, stride 2, "same" on 3 inputs: 6 outputs, no crop; input i adds into outputs
    # 2i, 2i + 1, 2i + 2 that are < 6 (input 2 loses its last tap); tap 0 reaches 1 filter, taps 1-2 two
    kernel = np.ones((3, 1, 2))
    kernel[0, 0, 1] = 0
    g = _into(Conv1DTransposeNode, (3, 1), (6, 2), kernel, strides=(2,), padding="same")
    np.testing.assert_array_equal(fan_out(g, "p.neurons"), [5, 5, 3])


def test_geometry_of_one_axis_by_hand():
    assert leading_padding("same", 5, 3, 2, 4) == 1
    assert leading_padding("causal", 4, 4, 1, 3) == 2
    assert leading_padding("valid", 4, 2, 1, 3) == 0
    with pytest.raises(ValueError, match="'full'"):
        leading_padding("full", 4, 4, 1, 3)
    # window o's cell at offset 1, one cell of leading padding: r = 2o + 1 - 1
    np.testing.assert_array_equal(tap_matrix(4, 2, 2, 1, 1), [[1, 0], [0, 0], [0, 1], [0, 0]])
    # windows of 2 cells, stride 2, "same" on 3 cells: (0, 1), (2, [padding])
    np.testing.assert_array_equal(window_matrix(3, 2, 2, 2, 0), [[1, 0], [1, 0], [0, 1]])


@dataclasses.dataclass(eq=False, kw_only=True)
class _Delay(Node):
    """A stand-in for a future node type nobody taught the counter."""


def test_a_node_type_without_a_counting_rule_is_refused_by_name():
    g = h.graph(
        [
            InputNode(name="x", shape=(3,)),
            h.neurons("p.neurons", "x", (3,)),
            _Delay(name="later", inputs=("p.neurons",), shape=(3,)),
            DenseNode(name="d", inputs=("later",), shape=(2,), kernel=np.ones((3, 2), np.float32)),
        ],
        ["d"],
    )
    with pytest.raises(TypeError, match=r"node 'later' \(_Delay\).*no counting rule.*counting_rule"):
        fan_out(g, "p.neurons")
