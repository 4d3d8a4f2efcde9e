"""Low-pass synapse against the naive recurrence y[t] = a*y[t-1] + (1-a)*x[t]."""

import math

import numpy as np
import pytest
import tensorflow as tf

from snnconvert.synapses import Lowpass, as_synapse


def naive_lowpass(signal, state, dt, tau):
    """Reference recurrence in float64, one step at a time; ``state`` is y before step 1."""
    a = math.exp(-dt / tau)
    y = np.array(state, np.float64, copy=True)
    out = np.zeros(np.shape(signal), np.float64)
    for t in range(np.shape(signal)[1]):
        y = a * y + (1 - a) * np.asarray(signal, np.float64)[:, t]
        out[:, t] = y
    return out, y


def test_hand_worked_decay_one_half():
    # tau chosen so that a = exp(-dt/tau) = 1/2: a unit step gives 1/2, 3/4, 7/8, 15/16.
    dt = 0.01
    synapse = Lowpass(dt / math.log(2))
    assert synapse.decay(dt) == pytest.approx(0.5)
    y, state = synapse.filter(tf.ones((1, 4)), tf.zeros((1,)), dt)
    np.testing.assert_allclose(y.numpy(), [[0.5, 0.75, 0.875, 0.9375]], rtol=1e-6)
    np.testing.assert_allclose(state.numpy(), [0.9375], rtol=1e-6)
    # No extra delay: an impulse at step 0 shows at step 0 already, then halves.
    y, _ = synapse.filter(tf.constant([[8.0, 0.0, 0.0]]), tf.zeros((1,)), dt)
    np.testing.assert_allclose(y.numpy(), [[4.0, 2.0, 1.0]], rtol=1e-6)


def test_decay_is_exp_minus_dt_over_tau():
    assert Lowpass(0.005).decay(0.001) == pytest.approx(math.exp(-0.2))
    assert Lowpass(0.1).decay(0.01) == pytest.approx(math.exp(-0.1))


@pytest.mark.parametrize("tau", [0.002, 0.01, 0.1])
@pytest.mark.parametrize("dt", [0.001, 0.005])
@pytest.mark.parametrize("n_steps", [1, 2, 5, 13, 50])
def test_filter_matches_naive_recurrence(tau, dt, n_steps):
    rng = np.random.default_rng(n_steps)
    signal = rng.normal(0, 10, (3, n_steps, 2, 4)).astype(np.float32)
    state = rng.normal(0, 5, (3, 2, 4)).astype(np.float32)  # nonzero initial state
    y, new_state = Lowpass(tau).filter(tf.constant(signal), tf.constant(state), dt)
    ref, ref_state = naive_lowpass(signal, state, dt, tau)
    assert y.shape == signal.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(new_state.numpy(), ref_state, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("tau", [0.002, 0.05])
@pytest.mark.parametrize("n_steps", [1, 7, 50])
def test_filter_constant_matches_filter_on_tiled_input(tau, n_steps):
    dt = 0.001
    rng = np.random.default_rng(3)
    value = rng.normal(0, 10, (4, 3)).astype(np.float32)
    state = rng.normal(0, 5, (4, 3)).astype(np.float32)
    synapse = Lowpass(tau)
    y_c, s_c = synapse.filter_constant(tf.constant(value), n_steps, tf.constant(state), dt)
    tiled = np.repeat(value[:, None], n_steps, axis=1)
    y_f, s_f = synapse.filter(tf.constant(tiled), tf.constant(state), dt)
    ref, ref_state = naive_lowpass(tiled, state, dt, tau)
    assert y_c.shape == (4, n_steps, 3)
    np.testing.assert_allclose(y_c.numpy(), y_f.numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(y_c.numpy(), ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(s_c.numpy(), ref_state, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(s_f.numpy(), ref_state, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("split", [1, 9, 29])
def test_state_carried_across_windows_equals_one_long_window(split):
    dt, tau, n_steps = 0.001, 0.01, 30
    rng = np.random.default_rng(split)
    signal = rng.normal(0, 10, (2, n_steps, 5)).astype(np.float32)
    state = rng.normal(0, 1, (2, 5)).astype(np.float32)
    synapse = Lowpass(tau)
    whole, s_whole = synapse.filter(tf.constant(signal), tf.constant(state), dt)
    first, s_mid = synapse.filter(tf.constant(signal[:, :split]), tf.constant(state), dt)
    second, s_end = synapse.filter(tf.constant(signal[:, split:]), s_mid, dt)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s_end.numpy(), s_whole.numpy(), rtol=1e-5, atol=1e-5)
    # And the constant form carries state the same way.
    value = tf.constant(signal[:, 0])
    c_whole, _ = synapse.filter_constant(value, n_steps, tf.constant(state), dt)
    c_first, c_mid = synapse.filter_constant(value, split, tf.constant(state), dt)
    c_second, _ = synapse.filter_constant(value, n_steps - split, c_mid, dt)
    np.testing.assert_allclose(np.concatenate([c_first, c_second], axis=1), c_whole.numpy(), rtol=1e-5, atol=1e-5)


def test_constant_input_converges_to_value():
    y, _ = Lowpass(0.005).filter_constant(tf.constant([[3.0, -2.0]]), 200, tf.zeros((1, 2)), 0.001)
    np.testing.assert_allclose(y.numpy()[:, -1], [[3.0, -2.0]], rtol=1e-6, atol=1e-6)
    # First step from zero: (1 - a) * x.
    a = math.exp(-0.2)
    np.testing.assert_allclose(y.numpy()[:, 0], [[3.0 * (1 - a), -2.0 * (1 - a)]], rtol=1e-6)


# ---------------------------------------------------------------- as_synapse


@pytest.mark.parametrize("value", [None, 0, 0.0])
def test_as_synapse_none_or_zero_means_no_filter(value):
    assert as_synapse(value) is None


def test_as_synapse_positive_and_instance():
    synapse = as_synapse(0.005)
    assert isinstance(synapse, Lowpass) and synapse.tau == 0.005
    assert as_synapse(1) == Lowpass(1.0)
    existing = Lowpass(0.02)
    assert as_synapse(existing) is existing


@pytest.mark.parametrize("value", [-0.001, -1, float("nan"), float("inf"), "0.005", True])
def test_as_synapse_rejects_bad_values_naming_synapse(value):
    with pytest.raises(ValueError, match="synapse"):
        as_synapse(value)


def test_lowpass_equality():
    assert Lowpass(0.01) == Lowpass(0.01)
    assert Lowpass(0.01) != Lowpass(0.02)
    assert hash(Lowpass(0.01)) == hash(Lowpass(0.01))
