"""IntegrateAndFire: hand-worked spike trains, its closed form, and a whole network
against a numpy reference of the signed integrate-and-fire update."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.ir import Rectifier
from snnconvert.neurons import IntegrateAndFire, RectifiedLinear, SpikingRectifiedLinear, drive


def relu_response(gain=1.0):
    return functools.partial(drive, gain=gain, rectifier=Rectifier())


def run_steps(neuron, currents, voltage=0.0, dt=1.0, gain=1.0):
    current = tf.constant([currents], tf.float32)  # [batch 1, steps]
    state = neuron.start(tf.constant([voltage], tf.float32))
    running, state = neuron.cumulative_counts(current, state, dt, response=relu_response(gain))
    counts = np.diff(np.concatenate([[0.0], running.numpy()[0]]))
    return counts, float(state.voltage.numpy()[0])


def test_hand_worked_spike_train_keeps_the_negative_current():
    # v: 0.6 | 1.2 -> 1 spike, 0.2 | -0.3 | 0.9 | 3.4 -> 3 spikes, 0.4
    counts, voltage = run_steps(IntegrateAndFire(), [0.6, 0.6, -0.5, 1.2, 2.5])
    assert counts.tolist() == [0, 1, 0, 0, 3]
    assert voltage == pytest.approx(0.4, abs=1e-6)
    # The rectifying neuron drops the -0.5: v 0.6 | 0.2 (1) | 0.2 | 1.4 -> 0.4 (1) | 2.9 -> 0.9 (2)
    counts, voltage = run_steps(SpikingRectifiedLinear(), [0.6, 0.6, -0.5, 1.2, 2.5])
    assert counts.tolist() == [0, 1, 0, 1, 2]
    assert voltage == pytest.approx(0.9, abs=1e-6)


def test_membrane_goes_below_zero_and_must_climb_back():
    counts, voltage = run_steps(IntegrateAndFire(), [-2.0, 1.5, 1.5, 0.5], voltage=0.5)
    # v: -1.5 | 0.0 | 1.5 -> 1 spike, 0.5 | 1.0 -> 1 spike, 0.0
    assert counts.tolist() == [0, 0, 1, 1]
    assert voltage == pytest.approx(0.0, abs=1e-6)


def test_gain_and_dt_scale_the_integrated_current():
    counts, voltage = run_steps(IntegrateAndFire(), [100.0, -50.0, 300.0], dt=0.01, gain=2.0)
    # per step 2 * J * 0.01: 2.0 -> 2 spikes, 0 | -1.0 | 5.0 -> 5 spikes, 0
    assert counts.tolist() == [2, 0, 5]
    assert voltage == pytest.approx(0.0, abs=1e-5)


def test_running_counts_track_relu_of_the_integral():
    rng = np.random.default_rng(1)
    currents = rng.normal(0.3, 1.0, size=(64, 50)).astype(np.float32)
    voltage = rng.random(64).astype(np.float32)
    neuron = IntegrateAndFire()
    state = neuron.start(voltage)
    running, _ = neuron.cumulative_counts(tf.constant(currents), state, 1.0, response=relu_response())
    integral = voltage[:, None] + np.cumsum(currents, axis=1)
    # Spikes so far never exceed the best the integral reached, and lag it by < 1 spike.
    best = np.maximum.accumulate(np.floor(integral), axis=1).clip(min=0)
    np.testing.assert_array_equal(running.numpy(), best)


@pytest.mark.parametrize("current", [0.37, 1.6, -0.4, 0.0])
def test_constant_current_counts_equal_the_relu_closed_form(current):
    initial = np.linspace(0, 0.99, 8, dtype=np.float32)
    x = np.full(8, current, np.float32)
    counts, voltages = {}, {}
    for neuron in (IntegrateAndFire(), SpikingRectifiedLinear()):
        running, state = neuron.cumulative_counts_constant(
            tf.constant(x), 20, neuron.start(initial), 0.1, response=relu_response())
        counts[type(neuron)], voltages[type(neuron)] = running.numpy(), state.voltage.numpy()
    np.testing.assert_array_equal(counts[IntegrateAndFire], counts[SpikingRectifiedLinear])
    # ... but the voltage keeps the negative integral: v0 + 20 * J * dt - spikes.
    expected = initial + 20 * x * 0.1 - counts[IntegrateAndFire][:, -1]
    np.testing.assert_allclose(voltages[IntegrateAndFire], expected, atol=1e-5)


def test_closed_form_matches_step_by_step_across_windows():
    neuron = IntegrateAndFire()
    x = tf.constant(np.linspace(-1.5, 2.5, 9, dtype=np.float32))
    initial = np.full(9, 0.25, np.float32)
    first, state = neuron.cumulative_counts_constant(x, 7, neuron.start(initial), 0.1, response=relu_response())
    second, state = neuron.cumulative_counts_constant(x, 5, state, 0.1, response=relu_response())
    whole = np.concatenate([first.numpy(), first.numpy()[:, -1:] + second.numpy()], axis=1)
    stepped, _ = neuron.cumulative_counts(tf.tile(x[:, None], [1, 12]), neuron.start(initial), 0.1,
                                          response=relu_response())
    np.testing.assert_array_equal(whole, stepped.numpy())


def test_rate_twin_is_the_rate_relu_with_its_amplitude():
    assert IntegrateAndFire(amplitude=0.5).rate_twin() == RectifiedLinear(amplitude=0.5)
    assert snnconvert.neurons.as_neuron_type("integrate_and_fire") == IntegrateAndFire()


def reference_network(x, layers, gain, n_steps, dt):
    """Numpy: image -> [Dense -> signed IF (gain, amplitude 1/gain)] * 2 -> Dense, per
    step, every membrane starting at 0."""
    (w1, b1), (w2, b2), (w3, b3) = layers
    v1, v2 = np.zeros((len(x), w1.shape[1])), np.zeros((len(x), w2.shape[1]))
    outputs, lowest = [], 0.0
    for _ in range(n_steps):
        v1 = v1 + (x @ w1 + b1) * gain * dt
        s1 = np.maximum(np.floor(v1), 0)
        v1 -= s1
        v2 = v2 + ((s1 / gain / dt) @ w2 + b2) * gain * dt
        s2 = np.maximum(np.floor(v2), 0)
        v2 -= s2
        lowest = min(lowest, v2.min())
        outputs.append((s2 / gain / dt) @ w3 + b3)
    return np.stack(outputs, axis=1), lowest


def test_network_of_integrate_and_fire_neurons_matches_numpy():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    hidden = keras.layers.Dense(5, activation="relu")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(3)(hidden))
    rng = np.random.default_rng(0)
    # Weights of both signs, so that spikes arriving at the second layer push some
    # membranes down; biases keep most neurons active.
    for layer in model.layers[1:]:
        kernel, bias = layer.get_weights()
        layer.set_weights([rng.normal(0, 1, kernel.shape).astype(np.float32), np.full_like(bias, 0.3)])
    x = rng.random((4, 6)).astype(np.float32)
    net = snnconvert.convert(model, neuron_type="integrate_and_fire", scale_firing_rates=40)
    simulated = net.run(x, 12, initial_state="zeros", progress=False).output
    expected, lowest = reference_network(x, [layer.get_weights() for layer in model.layers[1:]], 40.0, 12, 0.001)
    assert lowest < -0.5  # the spiking input drove some membranes well below zero
    np.testing.assert_allclose(simulated, expected, rtol=1e-4, atol=1e-3)


def test_relu_with_options_is_refused_for_integrate_and_fire():
    inputs = keras.Input((4,))
    hidden = keras.layers.ReLU(max_value=6.0, name="relu6")(keras.layers.Dense(3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    with pytest.raises(ValueError, match="relu6.*neuron_type='spiking'"):
        snnconvert.convert(model, neuron_type="integrate_and_fire")


@pytest.mark.parametrize("synapse", [None, 0.004])
def test_integrate_and_fire_population_is_the_same_with_and_without_the_kernel(synapse):
    """The compiled kernel's integrate-and-fire mode serves IntegrateAndFire populations
    (alone and behind a fused synapse) with the very spikes and outputs of the TensorFlow
    path; a hidden layer fed spikes swings its current below zero, which it must integrate."""
    from snnconvert.simulation import kernels

    if not kernels.available():
        pytest.fail("the CPU kernels should build here")
    rng = np.random.default_rng(5)
    inputs = keras.Input((12,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    deeper = keras.layers.Dense(16, activation="relu", name="deeper")(hidden)
    outputs = keras.layers.Dense(3, name="out")(deeper)
    model = keras.Model(inputs, outputs)
    model.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in model.get_weights()])
    net = snnconvert.convert(model, neuron_type=IntegrateAndFire(), scale_firing_rates=40, synapse=synapse)
    x = rng.uniform(0, 1, (9, 12)).astype("float32")
    runs = [net.run(x, 23, progress=False, kernels=use, chunk_steps=10) for use in (True, False)]
    assert runs[0].spikes_per_layer == runs[1].spikes_per_layer
    assert runs[0].spikes_per_layer["deeper"] > 0
    for name, activity in runs[0].activity.items():
        np.testing.assert_array_equal(activity.per_neuron, runs[1].activity[name].per_neuron)
    if synapse is None:
        np.testing.assert_array_equal(runs[0].output, runs[1].output)
    else:  # the output's own synapse: the recurrence rounds unlike TensorFlow's matrix product
        np.testing.assert_allclose(runs[0].output, runs[1].output, rtol=1e-5, atol=1e-5)
