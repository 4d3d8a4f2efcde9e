"""The deep-network defaults of scale_firing_rates="auto": integrate-and-fire neurons,
the integrating readout, and rate mode still exact against Keras."""

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.ir.rewrites import RunningMeanNode
from snnconvert.neurons import IntegrateAndFire, SpikingRectifiedLinear


@pytest.fixture(scope="module")
def residual_model():
    """Conv-BN-ReLU, a residual block with a projection shortcut, ReLU6, pooling, Dense."""
    keras.utils.set_random_seed(5)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.ReLU(name="stem")(keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3)(inputs)))
    y = keras.layers.Conv2D(6, 3, strides=2, padding="same")(x)
    shortcut = keras.layers.Conv2D(6, 1, strides=2)(x)
    x = keras.layers.ReLU(max_value=6.0, name="merged")(keras.layers.Add()([y, shortcut]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(3, name="logits")(x))
    batch_norm = model.layers[2]
    batch_norm.set_weights([w + 0.1 * np.arange(4, dtype=np.float32) for w in batch_norm.get_weights()])
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((40, 8, 8, 1)).astype(np.float32)


def test_rate_mode_under_auto_reproduces_keras(residual_model, images):
    net = snnconvert.convert(residual_model, scale_firing_rates="auto", calibration_data=images,
                             neuron_type="rate")
    assert not any(isinstance(node, RunningMeanNode) for node in net.graph)
    output = net.predict(images, 3, progress=False)
    expected = residual_model(images).numpy()
    for step in range(3):
        np.testing.assert_allclose(output[:, step], expected, rtol=1e-5, atol=1e-5)


def test_auto_uses_integrate_and_fire_for_plain_relus_only(residual_model, images):
    net = snnconvert.convert(residual_model, scale_firing_rates="auto", calibration_data=images)
    types = {node.source: node.neuron_type for node in net.graph.neuron_nodes}
    assert types["stem"] == IntegrateAndFire(types["stem"].amplitude, initial_voltage=0.5)
    assert type(types["merged"]) is SpikingRectifiedLinear  # ReLU6 has no signed-integral reading
    plain = snnconvert.convert(residual_model, scale_firing_rates=3.0)
    assert {type(node.neuron_type) for node in plain.graph.neuron_nodes} == {SpikingRectifiedLinear}
    assert not any(isinstance(node, RunningMeanNode) for node in plain.graph)


def test_integrating_readout_is_the_running_mean_of_the_raw_output(residual_model, images):
    options = dict(scale_firing_rates="auto", calibration_data=images, correct_biases=False)
    raw = snnconvert.convert(residual_model, integrate_outputs=False, **options)
    integrated = snnconvert.convert(residual_model, **options)
    assert isinstance(integrated.graph[integrated.graph.outputs[0]], RunningMeanNode)
    values = raw.predict(images, 10, progress=False)
    expected = np.cumsum(values, axis=1) / np.arange(1, 11)[None, :, None]
    np.testing.assert_allclose(integrated.predict(images, 10, progress=False), expected, rtol=1e-5, atol=1e-4)
    # Split into windows of 3 steps, the readout carries its sum and count across them.
    np.testing.assert_allclose(integrated.predict(images, 10, progress=False, chunk_steps=3), expected,
                               rtol=1e-5, atol=1e-4)


def test_a_synapse_before_the_output_keeps_the_plain_readout(residual_model, images):
    net = snnconvert.convert(residual_model, scale_firing_rates="auto", calibration_data=images,
                             synapse=0.005, correct_biases=False)
    assert not any(isinstance(node, RunningMeanNode) for node in net.graph)


def test_initial_voltage_overrides_the_simulators_start():
    neuron = IntegrateAndFire(initial_voltage=0.5)
    state = neuron.start(np.random.default_rng(0).random((2, 3)).astype(np.float32))
    np.testing.assert_array_equal(state.voltage.numpy(), np.full((2, 3), 0.5, np.float32))
    with pytest.raises(ValueError, match="initial_voltage.*\\[0, 1\\)"):
        IntegrateAndFire(initial_voltage=1.5)
    assert "initial_voltage=0.5" in repr(neuron) and neuron != IntegrateAndFire()


def test_correct_biases_needs_auto(residual_model):
    with pytest.raises(ValueError, match="`correct_biases` only apply with scale_firing_rates='auto'"):
        snnconvert.convert(residual_model, scale_firing_rates=2.0, correct_biases=True)
