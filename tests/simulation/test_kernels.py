"""The compiled CPU kernels against the TensorFlow ops they replace, and hand-worked values.

The spiking ReLU update and the event projection must give bit-identical results to
the TensorFlow path (same float32 operations, same order); the low-pass recurrence
rounds differently from the TensorFlow path's matrix product, by about one ulp.
"""

import os
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.data import load_dataset
from snnconvert.ir import Conv2DNode, DenseNode, Rectifier
from snnconvert.neurons import SpikingRectifiedLinear, SpikingState, drive
from snnconvert.simulation import events, kernels
from snnconvert.simulation.kernels import build
from snnconvert.synapses import Lowpass

MNIST_MODEL = Path(__file__).resolve().parents[2] / "models" / "mnist_cnn.h5"

# Skipped only where the kernels are not meant to serve; where they should, a build that
# fails must fail these tests, not skip them.
pytestmark = pytest.mark.skipif(
    shutil.which((os.environ.get("CXX") or "g++").split()[0]) is None
    or os.environ.get("SNNCONVERT_KERNELS", "on").lower() in ("0", "off", "false", "no")
    or bool(tf.config.list_physical_devices("GPU")),
    reason="no C++ compiler, kernels switched off, or a GPU: the kernels do not serve here",
)


def test_the_kernels_are_available():
    assert kernels.available()


def _tensorflow_update(current, voltage, gain, dt, rectifier, cumulative):
    """The reference: the TensorFlow path of SpikingRectifiedLinear."""
    state = SpikingState.start(voltage)
    running, state = SpikingRectifiedLinear().cumulative_counts(
        tf.constant(current), state, dt, cumulative, response=lambda j: drive(j, tf.constant(gain), rectifier)
    )
    return running.numpy(), state.voltage.numpy()


def _kernel_update(current, voltage, gain, dt, spike_value, rectify, cumulative, signed):
    output, counts, new_voltage, _ = kernels.integrate_spiking_relu(
        tf.constant(current), tf.constant(voltage), gain=tf.constant(gain, tf.float32),
        dt=tf.constant(dt, tf.float32), spike_value=tf.constant(spike_value, tf.float32),
        rectify=rectify, cumulative=cumulative, signed=signed,
    )
    return output.numpy(), counts.numpy(), new_voltage.numpy()


@pytest.mark.parametrize("cumulative", [False, True])
@pytest.mark.parametrize("gain", [1.0, 7.3, 400.0])
def test_spiking_relu_kernel_is_bit_identical_to_tensorflow(cumulative, gain):
    rng = np.random.default_rng(int(gain * 10) + cumulative)
    current = rng.normal(0.4, 1.0, (5, 23, 3, 4, 6)).astype(np.float32)
    if cumulative:
        current = np.cumsum(current, axis=1, dtype=np.float32)
    voltage = rng.uniform(0, 1, (5, 3, 4, 6)).astype(np.float32)
    dt, spike_value = 0.01, 0.37
    running, reference_voltage = _tensorflow_update(current, voltage, gain, dt, Rectifier(), cumulative)
    output, counts, new_voltage = _kernel_update(current, voltage, gain, dt, spike_value, True, cumulative, False)
    assert running[:, -1].sum() > 50  # the test exercises real spikes
    np.testing.assert_array_equal(output, running * np.float32(spike_value))
    np.testing.assert_array_equal(counts, running[:, -1])
    np.testing.assert_array_equal(new_voltage, reference_voltage)


def test_spiking_relu_kernel_counts_negative_spikes_by_magnitude():
    """A LeakyReLU response is computed by TensorFlow and integrated by the kernel."""
    rectifier = Rectifier(negative_slope=0.3)
    rng = np.random.default_rng(4)
    current = rng.normal(0.0, 2.0, (4, 30, 17)).astype(np.float32)
    voltage = rng.uniform(0, 1, (4, 17)).astype(np.float32)
    running, reference_voltage = _tensorflow_update(current, voltage, 20.0, 0.01, rectifier, False)
    drive_values = drive(tf.constant(current), tf.constant(20.0), rectifier).numpy()
    output, counts, new_voltage = _kernel_update(drive_values, voltage, 1.0, 0.01, 1.0, False, False, True)
    per_step = np.diff(running, axis=1, prepend=0)
    assert (per_step < 0).any() and (per_step > 0).any()
    np.testing.assert_array_equal(output, running)
    np.testing.assert_array_equal(counts, np.abs(per_step).sum(axis=1))
    np.testing.assert_array_equal(new_voltage, reference_voltage)


def test_spiking_relu_kernel_hand_worked_train():
    """dt 0.1, gain 1, current 25 from v = 0: v rises 2.5 a step, so the neuron fires
    2, 3, 2, 3 spikes (the voltage is 0.5 and 0 after alternate steps)."""
    current = np.full((1, 4, 1), 25.0, np.float32)
    output, counts, voltage = _kernel_update(current, np.zeros((1, 1), np.float32), 1.0, 0.1, 10.0, True, False,
                                             False)
    np.testing.assert_array_equal(output[0, :, 0], [20.0, 50.0, 70.0, 100.0])
    assert counts[0, 0] == 10 and voltage[0, 0] == 0


def test_spiking_relu_kernel_over_many_blocks_and_samples_is_bit_identical():
    """More neurons than one block (kBlock = 512) with a partial last block, several
    samples: the work is shared among threads, each task writing its own neurons."""
    rng = np.random.default_rng(12)
    current = rng.normal(0.5, 2.0, (6, 9, 1300)).astype(np.float32)
    voltage = rng.uniform(0, 1, (6, 1300)).astype(np.float32)
    running, reference_voltage = _tensorflow_update(current, voltage, 13.0, 0.01, Rectifier(), False)
    output, counts, new_voltage = _kernel_update(current, voltage, 13.0, 0.01, 2.0, True, False, False)
    assert (running[:, -1, -100:] > 0).any() and (running[:, -1, :100] > 0).any()
    np.testing.assert_array_equal(output, running * np.float32(2.0))
    np.testing.assert_array_equal(counts, running[:, -1])
    np.testing.assert_array_equal(new_voltage, reference_voltage)


@pytest.mark.parametrize("cumulative", [False, True])
def test_synapse_bias_and_population_in_one_pass_equal_the_separate_kernels(cumulative):
    """The fused pass performs the operations of lowpass, then + offset, then the update."""
    rng = np.random.default_rng(5)
    current = rng.normal(0.5, 2.0, (3, 11, 700)).astype(np.float32)
    if cumulative:
        current = np.cumsum(current, axis=1, dtype=np.float32)
    voltage = rng.uniform(0, 1, (3, 700)).astype(np.float32)
    synapse_state = rng.normal(0, 1, (3, 700)).astype(np.float32)
    offset = rng.normal(0, 1, 700).astype(np.float32)
    decay = tf.constant(Lowpass(0.004).decay(0.001), tf.float32)
    scalars = dict(gain=tf.constant(9.0), dt=tf.constant(0.01), spike_value=tf.constant(3.0))
    fused = kernels.integrate_spiking_relu(
        tf.constant(current), tf.constant(voltage), **scalars, rectify=True, cumulative=cumulative, signed=False,
        synapse_state=tf.constant(synapse_state), decay=decay, offset=tf.constant(offset),
    )
    per_step = np.diff(current, axis=1, prepend=np.float32(0)) if cumulative else current
    filtered, last_state = kernels.lowpass(tf.constant(per_step), tf.constant(synapse_state), decay)
    separate = kernels.integrate_spiking_relu(
        filtered + offset, tf.constant(voltage), **scalars, rectify=True, cumulative=False, signed=False,
    )
    assert fused[1].numpy().sum() > 1000
    for got, expected in zip(fused[:3], separate[:3]):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(fused[3], last_state)


def test_lowpass_kernel_matches_the_filter_recurrence_and_the_matrix_form():
    rng = np.random.default_rng(1)
    signal = rng.normal(0, 1, (3, 40, 5, 2)).astype(np.float32)
    state = rng.normal(0, 1, (3, 5, 2)).astype(np.float32)
    synapse, dt = Lowpass(0.005), 0.001
    decay = synapse.decay(dt)
    filtered, new_state = kernels.lowpass(tf.constant(signal), tf.constant(state), tf.constant(decay, tf.float32))
    expected, level = [], state.astype(np.float64)
    for step in range(signal.shape[1]):
        level = decay * level + (1 - decay) * signal[:, step]
        expected.append(level)
    expected = np.stack(expected, axis=1)
    np.testing.assert_allclose(filtered, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(new_state, filtered.numpy()[:, -1])
    matrix_form, _ = synapse.filter(tf.constant(signal), tf.constant(state), dt)
    np.testing.assert_allclose(filtered, matrix_form, rtol=1e-5, atol=1e-6)


def test_lowpass_kernel_impulse_response():
    """An impulse of height 1 at step 0 decays as (1 - a) a^t."""
    signal = np.zeros((1, 6, 1), np.float32)
    signal[0, 0, 0] = 1.0
    decay = np.exp(-0.001 / 0.002)
    filtered, _ = kernels.lowpass(tf.constant(signal), tf.zeros((1, 1)), tf.constant(decay, tf.float32))
    np.testing.assert_allclose(filtered.numpy()[0, :, 0], (1 - decay) * decay ** np.arange(6), rtol=1e-6)


def _random_events(rng, batch, n_steps, n_inputs, n_events):
    sample = np.sort(rng.integers(0, batch, n_events)).astype(np.int32)
    step = rng.integers(0, n_steps, n_events).astype(np.int32)
    neuron = rng.integers(0, n_inputs, n_events).astype(np.int32)
    return tuple(tf.constant(index) for index in (sample, step, neuron))


CONVOLUTIONS = {
    "valid": dict(strides=(1, 1), padding="valid", dilation_rate=(1, 1)),
    "same, stride 2": dict(strides=(2, 2), padding="same", dilation_rate=(1, 1)),
    "dilated": dict(strides=(1, 1), padding="valid", dilation_rate=(2, 2)),
    "same, strides 2 and 1": dict(strides=(2, 1), padding="same", dilation_rate=(1, 1)),
}


@pytest.mark.parametrize("geometry", list(CONVOLUTIONS))
@pytest.mark.parametrize("with_bias", [True, False])
def test_listed_spikes_projected_through_a_convolution_equal_keras(geometry, with_bias):
    """The TensorFlow projection the firing kernel is held to is the convolution of the
    dense spike tensor."""
    options = CONVOLUTIONS[geometry]
    layer = keras.layers.Conv2D(5, 3, use_bias=with_bias, bias_initializer="random_normal", **options)
    in_shape = (9, 8, 4)
    layer.build((None, *in_shape))
    out_shape = tuple(layer.compute_output_shape((None, *in_shape))[1:])
    weights = layer.get_weights()
    node = Conv2DNode(name="conv", inputs=("x",), shape=out_shape, kernel=weights[0],
                      bias=weights[1] if with_bias else None, **options)
    rng = np.random.default_rng(3)
    spikes = _random_events(rng, 6, 7, int(np.prod(in_shape)), 900)
    projected = events.project_events(node, spikes, in_shape, 6, 7, 12.5).numpy()
    dense = np.zeros((6 * 7, *in_shape), np.float32)
    sample, step, neuron = (index.numpy() for index in spikes)
    np.add.at(dense.reshape(6 * 7, -1), (sample * 7 + step, neuron), 12.5)
    np.testing.assert_allclose(projected.reshape(6 * 7, *out_shape), layer(dense).numpy(), rtol=1e-5, atol=1e-4)


def _constant_population(rng, batch, neurons, elapsed, n_steps):
    """A population fed constant currents, mid-run: its window's spike bounds."""
    increment = rng.uniform(0, 2.5, (batch, neurons)).astype(np.float32)
    increment[rng.uniform(size=increment.shape) < 0.3] = 0  # silent neurons
    initial = rng.uniform(0, 1, (batch, neurons)).astype(np.float32)
    state = SpikingState(tf.constant(initial), tf.constant(initial), tf.constant(float(elapsed)))
    before, after = events.emitted_before_and_after(tf.constant(increment), state, n_steps)
    return tf.constant(increment), state, before, after


def _fire_both_ways(node, in_shape, batch, n_steps, elapsed, seed):
    increment, state, before, after = _constant_population(np.random.default_rng(seed), batch,
                                                           int(np.prod(in_shape)), elapsed, n_steps)
    listed, counts, listed_state = events.constant_spike_events(increment, state, n_steps, before, after)
    reference = events.project_events(node, listed, in_shape, batch, n_steps, 4.0)
    fired, fired_counts, fired_state = events.fire_into(node, increment, state, n_steps, before, after, in_shape, 4.0)
    assert int(tf.reduce_sum(counts)) > 100  # the test needs spikes, several per step too
    assert int(tf.reduce_max(counts)) > n_steps
    np.testing.assert_array_equal(fired.numpy(), reference.numpy())
    np.testing.assert_array_equal(fired_counts.numpy(), counts.numpy())
    np.testing.assert_array_equal(fired_state.voltage.numpy(), listed_state.voltage.numpy())
    assert float(fired_state.elapsed) == float(listed_state.elapsed) == elapsed + n_steps


@pytest.mark.parametrize("geometry", list(CONVOLUTIONS))
def test_firing_straight_into_a_convolution_is_bit_identical_to_listing_the_spikes(geometry):
    """The fused op times each spike by the closed form itself (never listing them); it
    must give every sum of listing them with TensorFlow and projecting the list."""
    options = CONVOLUTIONS[geometry]
    in_shape = (9, 8, 4)
    layer = keras.layers.Conv2D(5, 3, bias_initializer="random_normal", **options)
    layer.build((None, *in_shape))
    kernel, bias = layer.get_weights()
    node = Conv2DNode(name="conv", inputs=("x",), shape=tuple(layer.compute_output_shape((None, *in_shape))[1:]),
                      kernel=kernel, bias=bias, **options)
    _fire_both_ways(node, in_shape, batch=5, n_steps=7, elapsed=11, seed=2)


def test_firing_straight_into_a_dense_layer_is_bit_identical_to_listing_the_spikes():
    rng = np.random.default_rng(9)
    node = DenseNode(name="dense", inputs=("x",), shape=(6,), kernel=rng.normal(size=(40, 6)).astype(np.float32),
                     bias=None)
    _fire_both_ways(node, (40,), batch=3, n_steps=12, elapsed=0, seed=4)


def _fire(increment=((0.5, 0.0, 0.0, 0.0),), before=((0.0, 0.0, 0.0, 0.0),), after=((2.0, 0.0, 0.0, 0.0),),
          elapsed=0.0, bias=(), kernel=None, **options):
    """The firing op on one sample of 4 neurons, the first firing at steps 2 and 4 of 5."""
    kernel = np.ones((1, 1, 4, 3), np.float32) if kernel is None else kernel
    increment = tf.constant(increment, tf.float32)
    geometry = dict(steps=5, in_shape=[1, 1, 4], out_shape=[1, 1], strides=[1, 1], dilation=[1, 1],
                    leading_padding=[0, 0])
    return build.load().snnconvert_fire_into(
        increment, tf.zeros_like(increment), tf.constant(before, tf.float32), tf.constant(after, tf.float32),
        tf.constant(elapsed), tf.constant(kernel), tf.constant(bias, tf.float32), tf.constant(1.0),
        **{**geometry, **options},
    )


@pytest.mark.parametrize(("arguments", "message"), [
    (dict(after=((1.0, 0.0, 0.0, 0.0),), before=((2.0, 0.0, 0.0, 0.0),)), "after - before must be >= 0"),
    (dict(increment=((0.0, 0.0, 0.0, 0.0),)), "spikes need increment > 0"),
    (dict(after=((2.0, 0.0, 0.0),)), "must have one shape"),
    (dict(increment=((0.5, 0.0, 0.0),), before=((0.0, 0.0, 0.0),), after=((2.0, 0.0, 0.0),)),
     "rows \\* cols \\* channels"),
    (dict(bias=(1.0, 2.0)), "one value per filter"),
    (dict(strides=[0, 1]), "strides and dilation must be >= 1"),
    (dict(in_shape=[1, 1, 0], kernel=np.ones((1, 1, 0, 3), np.float32)), "in_shape"),
    (dict(steps=-1), "steps, out_shape and leading_padding must be >= 0"),
])
def test_firing_kernel_refuses_inconsistent_arguments(arguments, message):
    """Inconsistent arguments are an error, never a write outside the output."""
    np.testing.assert_array_equal(_fire().numpy()[0, :, 0, 0, 0], [0, 1, 0, 1, 0])  # the valid call varied below
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=message):
        _fire(**arguments)


def test_the_kernels_refuse_a_non_scalar_instead_of_aborting():
    current, voltage = tf.zeros((2, 3, 4)), tf.zeros((2, 4))
    with pytest.raises(tf.errors.InvalidArgumentError, match="gain must be a scalar"):
        kernels.integrate_spiking_relu(current, voltage, gain=tf.ones(2), dt=tf.constant(0.1),
                                       spike_value=tf.constant(1.0), rectify=True, cumulative=False, signed=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="decay must be a scalar"):
        kernels.lowpass(current, voltage, tf.ones(3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="elapsed must be a scalar"):
        _fire(elapsed=(1.0, 2.0))


def test_mnist_network_gives_the_same_spikes_with_and_without_kernels(data_dir):
    """The shipped MNIST CNN, event path included: no synapse, identical outputs; a
    synapse rounds differently (recurrence against matrix product) but keeps the spikes."""
    images, _ = load_dataset("mnist", "test", data_dir=data_dir)
    images = (images[:20, ..., None] / 255.0).astype(np.float32)
    for synapse in (None, 0.005):
        net = snnconvert.convert(MNIST_MODEL, scale_firing_rates=20, synapse=synapse)
        with_kernels = net.run(images, 25, progress=False)
        without = net.run(images, 25, progress=False, kernels=False)
        assert with_kernels.spikes_per_layer == without.spikes_per_layer
        assert with_kernels.total_spikes > 10_000
        if synapse is None:
            np.testing.assert_array_equal(with_kernels.output, without.output)
        else:
            np.testing.assert_allclose(with_kernels.output, without.output, rtol=1e-5, atol=1e-4)


def _synapse_network():
    keras.utils.set_random_seed(11)
    return keras.Sequential([
        keras.Input((10, 10, 2)),
        keras.layers.Conv2D(6, 3, activation="relu", bias_initializer="random_normal", name="first"),
        keras.layers.Conv2D(4, 3, strides=2, activation="relu", bias_initializer="random_normal", name="second"),
        keras.layers.Flatten(),
        keras.layers.Dense(5, activation="relu", bias_initializer="random_normal", name="third"),
        keras.layers.Dense(3, name="readout"),
    ])


def test_a_synapse_fused_into_its_population_gives_bit_identical_results(monkeypatch):
    """Each synapse here is moved past the next layer, leaving its bias behind, so the
    fused kernel runs synapse + bias + population in one pass; with fusion switched off
    the separate kernels must give the very same values."""
    net = snnconvert.convert(_synapse_network(), scale_firing_rates=60, synapse=0.004)
    x = np.random.default_rng(6).uniform(0, 1, (7, 10, 10, 2)).astype(np.float32)
    options = dict(dt=0.002, progress=False, chunk_steps=9)
    from snnconvert.simulation import planning, simulator

    plan = simulator.Simulator(net.graph)._plan((), (False,))
    fused_chains = [step for step, _ in plan.steps if isinstance(step, planning.FilteredPopulation)]
    assert any(step.offset is not None for step in fused_chains)  # a bias rides along
    fused = net.run(x, 25, **options)
    monkeypatch.setattr(planning.rules, "RULES", [rule for rule in planning.RULES
                                                  if rule is not planning.rules.filtered_population])
    separate = snnconvert.convert(_synapse_network(), scale_firing_rates=60, synapse=0.004).run(x, 25, **options)
    plain = net.run(x, 25, kernels=False, **options)
    assert fused.total_spikes > 500
    np.testing.assert_array_equal(fused.output, separate.output)
    for layer in fused.activity:
        np.testing.assert_array_equal(fused.activity[layer].per_neuron, separate.activity[layer].per_neuron)
    assert plain.spikes_per_layer == fused.spikes_per_layer
    np.testing.assert_allclose(plain.output, fused.output, rtol=1e-4, atol=1e-3)
