"""LIF and LIFRate neurons: the rate curve, the spiking dynamics worked by hand, exact
rate scaling through the time constants, and conversion of LIF-trained models."""

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert import LIF, ConversionError, LIFRate

L = keras.layers


def lif_rate(current, tau_rc=0.02, tau_ref=0.002):
    """The reference rate curve, in float64."""
    current = np.asarray(current, np.float64)
    excess = np.where(current > 1, current - 1, 1.0)
    return np.where(current > 1, 1 / (tau_ref + tau_rc * np.log1p(1 / excess)), 0.0)


def one_neuron(activation=None):
    """input -> Dense(1, weight 1, no bias) -> a ReLU (or ``activation``): J equals the input."""
    layer = L.ReLU(name="cell") if activation is None else L.Activation(activation, name="cell")
    model = keras.Sequential([keras.Input((1,)), L.Dense(1, use_bias=False, name="d"), layer])
    model.layers[0].set_weights([np.ones((1, 1), np.float32)])
    return model


CURRENTS = np.array([[0.5], [1.0], [1.5], [3.0], [10.0]], np.float32)


@pytest.mark.parametrize("scale", [1.0, 5.0])
def test_rate_curve_and_its_exact_scaling(scale):
    net = snnconvert.convert(one_neuron(), neuron_type=LIFRate(amplitude=0.01), scale_firing_rates=scale)
    result = net.run(CURRENTS, 2, progress=False)
    np.testing.assert_allclose(result.output[:, 0, 0], 0.01 * lif_rate(CURRENTS[:, 0]), rtol=1e-5)
    # Dividing tau_rc and tau_ref by the scale multiplies the rates by it exactly.
    [activity] = result.activity.values()
    np.testing.assert_allclose(activity.per_neuron, [2 * 0.001 * scale * lif_rate(CURRENTS[:, 0]).sum()], rtol=1e-5)


def spike_train(current, n_steps, neuron=None, dt=0.001, scale=1.0):
    net = snnconvert.convert(one_neuron(), neuron_type=neuron or LIF(), scale_firing_rates=scale)
    result = net.run(np.array([[current]], np.float32), n_steps, dt=dt, initial_state="zeros", progress=False)
    return result.output[0, :, 0] * dt / net.graph["cell.neurons"].amplitude


def test_first_spike_when_the_voltage_crosses_one():
    """From rest, v(t) = J (1 - exp(-t / tau_rc)) reaches 1 at t = tau_rc ln(J / (J - 1)):
    for J = 2 and tau_rc = 20 ms that is 13.86 ms, so the first spike is at step 14."""
    spikes = spike_train(2.0, 40)
    assert np.flatnonzero(spikes)[0] == 13
    assert set(np.unique(spikes)) <= {0.0, 1.0}  # at most one spike per step


def test_refractory_period_holds_the_neuron_silent():
    """With a huge current the voltage crosses 1 within the first step after each
    refractory period: spikes are tau_ref apart (5 steps of 1 ms), not every step."""
    spikes = spike_train(1e6, 30, neuron=LIF(tau_ref=0.005))
    gaps = np.diff(np.flatnonzero(spikes))
    assert set(gaps) == {5}


def test_no_spikes_at_or_below_threshold():
    assert not spike_train(1.0, 500).any()


@pytest.mark.parametrize("current", [1.5, 3.0, 10.0])
def test_spiking_rate_matches_the_rate_curve(current):
    spikes = spike_train(current, 2000)
    expected = lif_rate(current) * 2.0  # spikes in 2 s
    assert abs(spikes.sum() - expected) <= max(1.0, 0.01 * expected)


def test_warns_when_scaling_makes_the_refractory_period_shorter_than_a_step():
    with pytest.warns(UserWarning, match="refractory period"):
        spike_train(3.0, 5, scale=10.0)


def test_lif_cannot_replace_relu_with_options():
    model = keras.Sequential([keras.Input((2,)), L.Dense(2), L.ReLU(max_value=1.0, name="capped")])
    with pytest.raises(ConversionError, match="'capped'.*LIF"):
        snnconvert.convert(model, neuron_type=LIF())


def test_neuron_type_names_and_parameters():
    assert snnconvert.convert(one_neuron(), neuron_type="lif").graph["cell.neurons"].neuron_type == LIF()
    assert LIF(tau_rc=0.05) != LIF()
    assert "tau_rc=0.05" in repr(LIF(tau_rc=0.05))
    with pytest.raises(ValueError, match="tau_ref"):
        LIF(tau_ref=-1)
    with pytest.raises(ValueError, match="tau_rc"):
        LIFRate(tau_rc=0)


def soft_lif(x):
    """A LIF-like activation a model might be trained with (here the exact LIF rate,
    written with Keras ops), scaled to outputs of order one."""
    above = x > 1
    excess = keras.ops.where(above, x - 1, keras.ops.ones_like(x))
    rate = 1 / (0.002 + 0.02 * keras.ops.log1p(1 / excess))
    return keras.ops.where(above, rate, keras.ops.zeros_like(x)) * 0.01


def lif_trained_model():
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((6,)), L.Dense(10, activation=soft_lif, name="hidden"), L.Dense(3, name="out"),
    ])
    model.set_weights([w.astype(np.float32) for w in (
        rng.normal(0, 1.5, (6, 10)), rng.uniform(0.5, 2.0, 10), rng.normal(0, 0.5, (10, 3)), np.zeros(3),
    )])
    return model


def test_model_trained_with_a_lif_activation_converts_by_swapping_it():
    model = lif_trained_model()
    x = np.random.default_rng(1).uniform(0, 1, (20, 6)).astype(np.float32)
    rate = snnconvert.convert(model, swap_activations={"soft_lif": LIFRate(amplitude=0.01)})
    np.testing.assert_allclose(rate.run(x, 1, progress=False).output[:, 0], model.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)
    spiking = snnconvert.convert(model, swap_activations={"soft_lif": LIF(amplitude=0.01)}, synapse=0.01)
    output = spiking.run(x, 300, progress=False).output[:, -100:].mean(axis=1)
    np.testing.assert_allclose(output, model.predict(x, verbose=0), atol=0.05 * np.abs(output).max())


def test_swap_applies_to_relu_layers_and_ops_and_refuses_unknown_names():
    x = keras.Input((3,))
    hidden = L.ReLU(name="layer")(L.Dense(4, activation="relu", name="arg")(x))
    model = keras.Model(x, L.Dense(2)(keras.ops.relu(L.Dense(4)(hidden))))
    net = snnconvert.convert(model, swap_activations={"relu": LIF()})
    assert [type(node.neuron_type) for node in net.graph.neuron_nodes] == [LIF, LIF, LIF]
    with pytest.raises(ConversionError, match=r"\['rleu'\]"):
        snnconvert.convert(model, swap_activations={"rleu": LIF()})
