"""The spiking max-pool's compiled gate against its TensorFlow path: bit-identical
outputs and carried state, ties included, for every pooling geometry the node takes.

The hand-worked spike trains of test_max_pool.py run through the kernel already (the
simulator uses it wherever it serves); here both paths see the same random trains.
"""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from snnconvert.ir import (
    GlobalMaxPool1DNode,
    GlobalMaxPool2DNode,
    MaxPool1DNode,
    MaxPool2DNode,
    MaxPool3DNode,
)
from snnconvert.simulation import kernels
from snnconvert.simulation.ops import pooling
from snnconvert.simulation.signals import Signal

pytestmark = pytest.mark.skipif(
    shutil.which((os.environ.get("CXX") or "g++").split()[0]) is None
    or os.environ.get("SNNCONVERT_KERNELS", "on").lower() in ("0", "off", "false", "no")
    or bool(tf.config.list_physical_devices("GPU")),
    reason="no C++ compiler, kernels switched off, or a GPU: the kernels do not serve here",
)

NODES = {
    "2d valid": MaxPool2DNode(name="p", shape=(3, 3, 3), input_shape=(6, 7, 3)),
    "2d same, 3x3 stride 2": MaxPool2DNode(name="p", shape=(3, 4, 2), input_shape=(5, 7, 2), pool_size=(3, 3),
                                           strides=(2, 2), padding="same"),
    "2d overlapping, channels first": MaxPool2DNode(name="p", shape=(2, 4, 4), input_shape=(2, 5, 5),
                                                    pool_size=(2, 2), strides=(1, 1),
                                                    data_format="channels_first"),
    "1d same": MaxPool1DNode(name="p", shape=(4, 2), input_shape=(7, 2), padding="same"),
    "3d": MaxPool3DNode(name="p", shape=(1, 2, 1, 2), input_shape=(2, 4, 3, 2)),
    "global 2d": GlobalMaxPool2DNode(name="p", shape=(3,), input_shape=(4, 5, 3)),
    "global 1d, channels first": GlobalMaxPool1DNode(name="p", shape=(2,), input_shape=(2, 6),
                                                     data_format="channels_first"),
}
# (1/3) / dt is not a float32 number: equal spike counts meet within the tie tolerance,
# not exactly, as in a network.
SPIKE = 1 / 3 / 0.001


def spike_trains(rng, node, batch, n_steps):
    """Few spikes per unit and step, so that windows hold ties at every step."""
    counts = rng.binomial(1, 0.4, (batch, n_steps, *node.input_shape))
    return (counts * SPIKE).astype(np.float32)


def advance(node, signal, state, use_kernels):
    output, after = pooling.advance_max_pool(node, [signal], state, signal.tensor.shape[1], 0.001,
                                             use_kernels=use_kernels)
    assert output.temporal and not output.cumulative
    return output.tensor.numpy(), after


def has_ties(node, accumulated, trains):
    """Whether some window, at some step, has two cells within the tie tolerance of
    its largest accumulated input (so the choice among ties is exercised)."""
    running = (accumulated[:, None] + np.cumsum(trains.astype(np.float64), axis=1)).astype(np.float32)
    flat = pooling.spatial_flat(node, tf.constant(running)).numpy()
    axis = pooling.positions_axis(node)
    cells = np.stack([np.take(flat, p, axis=axis) for p in pooling.gate_cells(node)])
    largest = cells.max(axis=0)
    return ((cells >= largest - 1e-6 * np.abs(largest)).sum(axis=0) > 1).any()


def test_the_gate_kernel_is_available():
    assert kernels.available()


@pytest.mark.parametrize("cumulative", [False, True], ids=["per step", "cumulative"])
@pytest.mark.parametrize("name", NODES)
def test_gate_kernel_is_bit_identical_to_tensorflow_over_windows(name, cumulative, monkeypatch):
    node = NODES[name]
    calls, gate = [], kernels.gated_max_pool
    monkeypatch.setattr(kernels, "gated_max_pool", lambda *args, **options: calls.append(1) or gate(*args, **options))
    rng = np.random.default_rng(len(name))
    trains = spike_trains(rng, node, batch=5, n_steps=13)
    # A state from earlier windows: whole spike counts, so some units start tied.
    start = rng.integers(0, 3, (5, *node.input_shape)) * np.float64(np.float32(SPIKE))
    assert has_ties(node, start, trains)
    states = {True: tf.constant(start), False: tf.constant(start)}
    for first, last in ((0, 4), (4, 13)):  # two windows: the state carries over
        window = trains[:, first:last]
        tensor = np.cumsum(window, axis=1, dtype=np.float32) if cumulative else window
        signal = Signal(tf.constant(tensor), temporal=True, cumulative=cumulative)
        with_kernel, states[True] = advance(node, signal, states[True], True)
        with_tensorflow, states[False] = advance(node, signal, states[False], False)
        np.testing.assert_array_equal(with_kernel, with_tensorflow)
        assert states[True].dtype == tf.float64
        np.testing.assert_array_equal(states[True], states[False])
    assert np.count_nonzero(with_kernel) > 10
    assert len(calls) == 2  # once per window: the kernel did serve


def test_gate_kernel_passes_the_spikes_of_the_unit_ahead():
    """One window [A, B]: A fires at steps 1 and 2, B at steps 2, 3 and 4. A leads
    after step 1 and 2, they tie at 2 after step 3 (A, the first, wins: its silence
    passes), B leads from step 4."""
    node = MaxPool1DNode(name="p", shape=(1, 1), input_shape=(2, 1))
    trains = np.array([[1, 0], [1, 1], [0, 1], [0, 1]], np.float32)[None, :, :, None]
    gated, after = kernels.gated_max_pool(tf.zeros((1, 2, 1), tf.float64), tf.constant(trains),
                                          pooling.gate_cells(node), channels=1, channels_first=False,
                                          cumulative=False, tie_tolerance=pooling.TIE_TOLERANCE)
    np.testing.assert_array_equal(gated.numpy()[0, :, 0], [1, 1, 0, 1])
    np.testing.assert_array_equal(after.numpy()[0, :, 0], [2, 3])


def test_gate_kernel_refuses_cells_outside_the_input():
    with pytest.raises(tf.errors.InvalidArgumentError, match="cells must be positions"):
        kernels.gated_max_pool(tf.zeros((1, 4), tf.float64), tf.zeros((1, 2, 4)), np.array([[0], [4]]),
                               channels=1, channels_first=False, cumulative=False, tie_tolerance=1e-6)
