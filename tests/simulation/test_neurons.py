"""Neuron models against a naive per-step loop (the NengoDL semantics, in float64)."""

import numpy as np
import pytest
import tensorflow as tf

from snnconvert import neurons
from snnconvert.neurons import (
    NeuronType,
    RectifiedLinear,
    SpikingRectifiedLinear,
    as_neuron_type,
)


# The neuron state passed between windows has been a bare voltage, then a
# ``SpikingState`` (with a ``voltage`` field or a ``voltage(dt)`` method); these helpers
# state the semantics without depending on that representation.
def start(v0):
    state_type = getattr(neurons, "SpikingState", None)
    v0 = tf.constant(np.asarray(v0, np.float32))
    return v0 if state_type is None else state_type.start(v0)


def voltage(state, dt):
    value = getattr(state, "voltage", state)
    return np.asarray(value(dt) if callable(value) else value)


def counts_of(neuron, current, v0, dt):
    """``(counts per step, final voltage)`` as numpy arrays, for a time-varying current.

    Uses the population update the simulator itself runs (``cumulative_counts``, spikes
    summed up to each step) when there is one; ``spike_counts`` has its own test.
    """
    current = tf.constant(np.asarray(current, np.float32))
    if hasattr(neuron, "cumulative_counts"):
        running, state = neuron.cumulative_counts(current, start(v0), dt)
        running = running.numpy()
        counts = np.diff(running, axis=1, prepend=np.zeros_like(running[:, :1]))
        return counts, voltage(state, dt)
    counts, state = neuron.spike_counts(current, start(v0), dt)
    return counts.numpy(), voltage(state, dt)


def counts_constant_of(neuron, current, n_steps, v0, dt):
    counts, state = neuron.spike_counts_constant(
        tf.constant(np.asarray(current, np.float32)), n_steps, start(v0), dt
    )
    return counts.numpy(), voltage(state, dt)


def naive_spiking(current, voltage, dt, dtype=np.float64):
    """Reference: ``v += max(J, 0) * dt``; emit ``floor(v)``; subtract. One step at a time."""
    current = np.asarray(current, dtype)
    v = np.array(voltage, dtype, copy=True)
    dt = dtype(dt)
    counts = np.zeros_like(current)
    for t in range(current.shape[1]):
        v += np.maximum(current[:, t], dtype(0)) * dt
        n = np.floor(v)
        counts[:, t] = n
        v -= n
    return counts, v


def _voltage(kind, shape, seed=0):
    """Initial voltages as the spec defines them: 0, 0.5 or seeded U[0, 1)."""
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "half":
        return np.full(shape, 0.5, np.float32)
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def _random_currents(seed, shape, dt):
    """Currents with negative values, sub-threshold steps and several spikes per step."""
    rng = np.random.default_rng(seed)
    # J * dt in [-1.5, 3.7): about a quarter negative, many steps > 1 (several spikes).
    return (rng.uniform(-1.5, 3.7, shape) / dt).astype(np.float32)


# ------------------------------------------------------------------ hand-worked


def test_spike_counts_hand_worked():
    # dt = 1, v0 = 0.5, J = [0.25, 2.5, -1, 0.75, 1.25] (all exact in binary):
    # v: 0.75 -> 0 spikes; 3.25 -> 3 (v=0.25); 0.25 -> 0 (J<0 ignored);
    #    1.0 -> 1 (v=0); 1.25 -> 1 (v=0.25).
    counts, v = counts_of(SpikingRectifiedLinear(), [[0.25, 2.5, -1.0, 0.75, 1.25]], [0.5], 1.0)
    np.testing.assert_array_equal(counts, [[0, 3, 0, 1, 1]])
    np.testing.assert_allclose(v, [0.25])


def test_spike_counts_constant_hand_worked():
    # J * dt = 0.375 per step from v0 = 0: v = 0.375, 0.75, 1.125 (1), 0.5, 0.875, 1.25 (1)
    counts, v = counts_constant_of(SpikingRectifiedLinear(), [3.75], 6, [0.0], 0.1)
    np.testing.assert_array_equal(counts, [[0, 0, 1, 0, 0, 1]])
    np.testing.assert_allclose(v, [0.25], atol=1e-6)


# ------------------------------------------------------- against the naive loop


@pytest.mark.parametrize("kind", ["zeros", "half", "uniform"])
@pytest.mark.parametrize("dt", [0.001, 0.1])
@pytest.mark.parametrize("n_steps", [1, 2, 17, 40])
def test_spike_counts_match_naive_loop(kind, dt, n_steps):
    shape = (3, n_steps, 2, 5)
    current = _random_currents(n_steps, shape, dt)
    v0 = _voltage(kind, (3, 2, 5), seed=n_steps)
    counts, v = counts_of(SpikingRectifiedLinear(), current, v0, dt)
    ref_counts, ref_v = naive_spiking(current, v0, dt)

    assert counts.shape == shape
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(v, ref_v, atol=1e-4)
    # The test inputs really do exercise the interesting cases.
    assert (current < 0).any()
    assert (ref_counts >= 2).any()


def test_spike_counts_match_float32_loop_over_long_window():
    """Regression: the window used to be integrated as floor(v0 + dt * cumsum(J)) with a
    float32 cumsum of raw currents, whose ulp grows with the sum (0.06-0.25 within 2000
    steps at J ~ 1000), moving spikes by a step. The NengoDL update in float32 (the
    reference's own precision) must be reproduced exactly, spike for spike."""
    dt, n_steps = 0.001, 2000
    current = np.random.default_rng(0).uniform(0, 2000, (2, n_steps, 8)).astype(np.float32)
    v0 = _voltage("half", (2, 8))
    counts, v = counts_of(SpikingRectifiedLinear(), current, v0, dt)
    ref_counts, ref_v = naive_spiking(current, v0, dt, dtype=np.float32)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(v, ref_v, atol=1e-5)
    # And within float32 drift of the exact (float64) totals.
    exact, _ = naive_spiking(current, v0, dt)
    assert np.abs(counts.sum(axis=1) - exact.sum(axis=1)).max() <= 1


@pytest.mark.parametrize("kind", ["zeros", "half", "uniform"])
@pytest.mark.parametrize("dt", [0.001, 0.1])
def test_spike_counts_constant_match_naive_loop_and_tiled(kind, dt):
    n_steps = 25
    current = _random_currents(5, (4, 6), dt)
    v0 = _voltage(kind, (4, 6), seed=3)
    neuron = SpikingRectifiedLinear()
    counts, v = counts_constant_of(neuron, current, n_steps, v0, dt)
    tiled = np.repeat(current[:, None], n_steps, axis=1)
    counts_t, v_t = counts_of(neuron, tiled, v0, dt)
    ref_counts, ref_v = naive_spiking(tiled, v0, dt)

    assert counts.shape == (4, n_steps, 6)
    np.testing.assert_array_equal(counts, counts_t)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(v, v_t, atol=1e-4)
    np.testing.assert_allclose(v, ref_v, atol=1e-4)
    assert (ref_counts >= 2).any() and (current < 0).any()


def test_counts_are_non_negative_integers_and_voltage_in_unit_interval():
    dt = 0.01
    current = _random_currents(11, (5, 30, 7), dt)
    v0 = _voltage("uniform", (5, 7), seed=11)
    counts, v = counts_of(SpikingRectifiedLinear(), current, v0, dt)
    assert (counts >= 0).all()
    np.testing.assert_array_equal(counts, np.round(counts))
    assert ((v >= 0) & (v < 1)).all()
    # Negative current never produces a spike on its own step from a sub-threshold state:
    # where J <= 0 the integrated voltage does not move, so no spike is emitted there.
    assert (counts[current <= 0] == 0).all()


def test_total_spikes_equal_floor_of_integrated_input():
    """Subtractive reset: spikes up to step t = floor(v0 + dt * sum max(J, 0))."""
    dt = 0.05
    current = _random_currents(21, (2, 33, 3), dt)
    v0 = _voltage("half", (2, 3))
    counts, _ = counts_of(SpikingRectifiedLinear(), current, v0, dt)
    expected = np.floor(v0 + dt * np.maximum(current.astype(np.float64), 0).sum(axis=1))
    np.testing.assert_array_equal(counts.sum(axis=1), expected)


def _window_counts(neuron, current, state, dt):
    """One window through the simulator's update; returns (counts, state)."""
    current = tf.constant(np.asarray(current, np.float32))
    if hasattr(neuron, "cumulative_counts"):
        running, state = neuron.cumulative_counts(current, state, dt)
        running = running.numpy()
        return np.diff(running, axis=1, prepend=np.zeros_like(running[:, :1])), state
    counts, state = neuron.spike_counts(current, state, dt)
    return counts.numpy(), state


def test_state_carried_across_windows_equals_one_window():
    dt = 0.1
    current = _random_currents(8, (3, 24, 4), dt)
    v0 = _voltage("uniform", (3, 4), seed=8)
    neuron = SpikingRectifiedLinear()
    whole, s_whole = _window_counts(neuron, current, start(v0), dt)
    first, s_mid = _window_counts(neuron, current[:, :10], start(v0), dt)
    second, s_end = _window_counts(neuron, current[:, 10:], s_mid, dt)
    np.testing.assert_array_equal(np.concatenate([first, second], axis=1), whole)
    np.testing.assert_allclose(voltage(s_end, dt), voltage(s_whole, dt), atol=1e-4)
    ref_counts, ref_v = naive_spiking(current, v0, dt)
    np.testing.assert_array_equal(whole, ref_counts)
    np.testing.assert_allclose(voltage(s_end, dt), ref_v, atol=1e-4)


def test_spike_counts_public_method_hand_worked():
    """``SpikingRectifiedLinear.spike_counts`` itself (not only the simulator's path)."""
    counts, state = SpikingRectifiedLinear().spike_counts(
        tf.constant([[0.25, 2.5, -1.0, 0.75, 1.25]]), start([0.5]), 1.0
    )
    np.testing.assert_array_equal(counts.numpy(), [[0, 3, 0, 1, 1]])
    np.testing.assert_allclose(voltage(state, 1.0), [0.25])


@pytest.mark.parametrize("split", [1, 3, 7])
def test_constant_state_carried_across_windows_lands_on_thresholds(split):
    """J * dt = 0.1 from v0 = 0 reaches exactly 1, 2, 3 at steps 10, 20, 30; a run split
    into windows of ``split`` steps must emit those spikes at the same steps."""
    neuron, dt = SpikingRectifiedLinear(), 0.1
    current = tf.constant([1.0])
    state, pieces = start([0.0]), []
    for begin in range(0, 30, split):
        counts, state = neuron.spike_counts_constant(current, min(split, 30 - begin), state, dt)
        pieces.append(counts.numpy())
    counts = np.concatenate(pieces, axis=1)[0]
    np.testing.assert_array_equal(np.nonzero(counts)[0] + 1, [10, 20, 30])


# ----------------------------------------------------------------- rate neuron


def test_rectified_linear_rates():
    current = tf.constant([[-2.0, -0.0, 0.0, 0.5, 3.0, 1e4]])
    np.testing.assert_array_equal(RectifiedLinear().rates(current).numpy(), [[0, 0, 0, 0.5, 3.0, 1e4]])
    np.testing.assert_array_equal(
        SpikingRectifiedLinear().rates(current).numpy(), [[0, 0, 0, 0.5, 3.0, 1e4]]
    )
    assert RectifiedLinear().spiking is False
    assert SpikingRectifiedLinear().spiking is True


def test_spiking_time_average_equals_rate():
    """Over T steps the mean of n * amplitude / dt tends to amplitude * max(J, 0)."""
    dt, n_steps, amplitude = 0.001, 4000, 0.25
    current = np.array([[-5.0, 0.0, 7.3, 120.0, 2500.0]], np.float32)
    neuron = SpikingRectifiedLinear(amplitude=amplitude)
    counts, _ = counts_constant_of(neuron, current, n_steps, _voltage("half", (1, 5)), dt)
    mean_output = counts.sum(axis=1) * amplitude / dt / n_steps
    rate = RectifiedLinear(amplitude=amplitude).rates(tf.constant(current)).numpy() * amplitude
    # Each neuron's count is within half a spike of J * T * dt (half start = rounding).
    np.testing.assert_allclose(mean_output, rate, atol=0.5 * amplitude / (dt * n_steps) + 1e-6)


# ----------------------------------------------------------- as_neuron_type


def test_as_neuron_type_accepts_names_and_instances():
    assert as_neuron_type("spiking") == SpikingRectifiedLinear()
    assert type(as_neuron_type("spiking")) is SpikingRectifiedLinear
    assert type(as_neuron_type("rate")) is RectifiedLinear
    instance = SpikingRectifiedLinear(amplitude=0.5)
    assert as_neuron_type(instance) is instance
    assert as_neuron_type(instance).amplitude == 0.5


@pytest.mark.parametrize("bad", ["relu", "Spiking", "", None, 1, SpikingRectifiedLinear, NeuronType])
def test_as_neuron_type_rejects_others(bad):
    with pytest.raises(ValueError, match="neuron_type"):
        as_neuron_type(bad)


@pytest.mark.parametrize("amplitude", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_amplitude_must_be_positive_number(amplitude):
    with pytest.raises(ValueError, match="amplitude"):
        SpikingRectifiedLinear(amplitude=amplitude)
    with pytest.raises(ValueError, match="amplitude"):
        RectifiedLinear(amplitude=amplitude)


def test_neuron_type_equality():
    assert SpikingRectifiedLinear(2.0) == SpikingRectifiedLinear(2.0)
    assert SpikingRectifiedLinear(2.0) != SpikingRectifiedLinear(1.0)
    assert SpikingRectifiedLinear() != RectifiedLinear()
    assert hash(RectifiedLinear(3)) == hash(RectifiedLinear(3.0))


@pytest.mark.parametrize(
    "spiking, twin_type",
    [
        (SpikingRectifiedLinear(amplitude=0.25), RectifiedLinear),
        (neurons.LIF(tau_rc=0.05, tau_ref=0.001, amplitude=0.5), neurons.LIFRate),
    ],
)
def test_each_spiking_type_declares_its_rate_twin_with_the_same_parameters(spiking, twin_type):
    twin = spiking.rate_twin()
    assert type(twin) is twin_type and not twin.spiking
    assert twin._parameters() == spiking._parameters()
    current = tf.constant(np.linspace(-1, 5, 13, dtype=np.float32))
    np.testing.assert_array_equal(twin.rates(current), spiking.rates(current))
    assert twin.rate_twin() is twin  # a rate type is its own twin


def test_a_spiking_type_without_a_declared_twin_says_so():
    class Custom(NeuronType):
        spiking = True

        def rates(self, current, response=None):
            return current

        def start(self, voltage):
            return voltage

        def cumulative_counts(self, current, state, dt, current_is_cumulative=False, response=None):
            return current, state

    with pytest.raises(NotImplementedError, match=r"Custom does not declare its rate twin"):
        Custom().rate_twin()
