"""The kernel's integrate-and-fire mode on the signed current (``signed_current=True``):
``v += gain * J * dt`` with ``J`` of either sign, ``n = max(floor(v), 0)``, ``v -= n``,
against a hand-worked spike train and a plain numpy loop of the same float32 operations
(bit-identical), alone, with a cumulative current and behind the fused synapse."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from snnconvert.simulation import kernels
from snnconvert.synapses import Lowpass

pytestmark = pytest.mark.skipif(
    shutil.which((os.environ.get("CXX") or "g++").split()[0]) is None
    or os.environ.get("SNNCONVERT_KERNELS", "on").lower() in ("0", "off", "false", "no")
    or bool(tf.config.list_physical_devices("GPU")),
    reason="no C++ compiler, kernels switched off, or a GPU: the kernels do not serve here",
)


def signed_if(current, voltage, gain, dt, spike_value, *, cumulative=False, rectify=False, **synapse):
    output, counts, new_voltage, synapse_state = kernels.integrate_spiking_relu(
        tf.constant(current), tf.constant(voltage), gain=tf.constant(gain, tf.float32),
        dt=tf.constant(dt, tf.float32), spike_value=tf.constant(spike_value, tf.float32), rectify=rectify,
        cumulative=cumulative, signed=False, signed_current=True,
        **{key: tf.constant(value, tf.float32) for key, value in synapse.items()},
    )
    return output.numpy(), counts.numpy(), new_voltage.numpy(), synapse_state


def numpy_loop(current, voltage, gain, dt, spike_value, cumulative=False, synapse_state=None, decay=None,
               offset=None):
    """The update step by step in float32 numpy, each operation as the kernel orders it."""
    f32 = np.float32
    gain, dt, spike_value = f32(gain), f32(dt), f32(spike_value)
    v, emitted = voltage.copy(), np.zeros_like(voltage)
    previous = np.zeros_like(voltage)
    filtered = None if synapse_state is None else synapse_state.copy()
    output = np.empty_like(current)
    for step in range(current.shape[1]):
        value = current[:, step]
        if cumulative:
            value, previous = value - previous, value
        if filtered is not None:
            filtered = f32(decay) * filtered + (f32(1) - f32(decay)) * value
            value = filtered + offset
        level = v + (value * gain) * dt
        spikes = np.maximum(np.floor(level), f32(0))
        v = level - spikes
        emitted = emitted + spikes
        output[:, step] = emitted * spike_value
    return output, emitted, v, filtered


def test_hand_worked_train_with_a_negative_current():
    """gain 2, dt 0.1, v0 0.5; the current 5, 5, -10, -5, 15, 10 adds 1, 1, -2, -1, 3, 2:

        level  1.5  1.5  -1.5  -2.5  0.5  2.5
        spikes   1    1     0     0    0    2
        v      0.5  0.5  -1.5  -2.5  0.5  0.5

    v falls below zero and climbs back from there: the negative current cost spikes.
    (A rectifying neuron would stay at 0.5 through steps 3-4 and fire 3 at step 5.)"""
    current = np.array([[[5.0], [5.0], [-10.0], [-5.0], [15.0], [10.0]]], np.float32)
    output, counts, voltage, _ = signed_if(current, np.full((1, 1), 0.5, np.float32), 2.0, 0.1, 10.0)
    np.testing.assert_array_equal(output[0, :, 0], [10, 20, 20, 20, 20, 40])
    assert counts[0, 0] == 4 and voltage[0, 0] == 0.5
    _, _, mid_voltage, _ = signed_if(current[:, :4], np.full((1, 1), 0.5, np.float32), 2.0, 0.1, 10.0)
    assert mid_voltage[0, 0] == -2.5


@pytest.mark.parametrize("cumulative", [False, True], ids=["per step", "cumulative"])
def test_bit_identical_to_a_numpy_loop(cumulative):
    rng = np.random.default_rng(3)
    # Mean below zero with wide swings: many neurons end far below zero, others fire.
    current = rng.normal(-0.3, 3.0, (4, 17, 1100)).astype(np.float32)  # over two blocks of 512
    voltage = rng.uniform(0, 1, (4, 1100)).astype(np.float32)
    given = np.cumsum(current, axis=1, dtype=np.float32) if cumulative else current
    output, counts, new_voltage, _ = signed_if(given, voltage, 7.0, 0.01, 3.0, cumulative=cumulative)
    expected, emitted, expected_voltage, _ = numpy_loop(given, voltage, 7.0, 0.01, 3.0, cumulative)
    np.testing.assert_array_equal(output, expected)
    np.testing.assert_array_equal(counts, emitted)
    np.testing.assert_array_equal(new_voltage, expected_voltage)
    assert (new_voltage < -1).mean() > 0.1 and counts.sum() > 1000


@pytest.mark.parametrize("cumulative", [False, True], ids=["per step", "cumulative"])
def test_behind_the_fused_synapse_bit_identical_to_a_numpy_loop(cumulative):
    rng = np.random.default_rng(4)
    current = rng.normal(-0.2, 2.0, (3, 12, 600)).astype(np.float32)
    given = np.cumsum(current, axis=1, dtype=np.float32) if cumulative else current
    voltage = rng.uniform(0, 1, (3, 600)).astype(np.float32)
    synapse = dict(synapse_state=rng.normal(0, 1, (3, 600)).astype(np.float32),
                   decay=np.float32(Lowpass(0.004).decay(0.001)), offset=rng.normal(0, 1, 600).astype(np.float32))
    output, counts, new_voltage, synapse_state = signed_if(given, voltage, 9.0, 0.01, 3.0, cumulative=cumulative,
                                                           **synapse)
    expected, emitted, expected_voltage, filtered = numpy_loop(given, voltage, 9.0, 0.01, 3.0, cumulative,
                                                               **synapse)
    np.testing.assert_array_equal(output, expected)
    np.testing.assert_array_equal(counts, emitted)
    np.testing.assert_array_equal(new_voltage, expected_voltage)
    np.testing.assert_array_equal(synapse_state, filtered)
    assert (new_voltage < 0).any() and counts.sum() > 100


def test_rectifying_a_signed_current_is_refused():
    current = np.zeros((1, 2, 1), np.float32)
    with pytest.raises(ValueError, match="rectify=True and signed_current=True exclude each other"):
        signed_if(current, np.zeros((1, 1), np.float32), 1.0, 0.1, 1.0, rectify=True)
