"""ReLU with max_value / threshold / negative_slope, LeakyReLU, relu6 and leaky_relu.

Rate mode must equal Keras; spiking mode must follow the hand-worked spike trains of
the documented semantics (the voltage stays in [0, 1); going below 0 emits a
negative spike) and approach the rate output at high firing rates.
"""

import keras
import numpy as np
import pytest
from conversion_helpers import check_rate_matches_keras, random_seq

import snnconvert
from snnconvert.ir import NeuronNode, Rectifier

L = keras.layers


RECTIFYING_LAYERS = {
    "relu_max_value": lambda: L.ReLU(max_value=0.4),
    "relu_threshold": lambda: L.ReLU(threshold=0.3),
    "relu_negative_slope": lambda: L.ReLU(negative_slope=0.2),
    "relu_all_options": lambda: L.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.25),
    "leaky_relu_layer": lambda: L.LeakyReLU(negative_slope=0.3),
    "relu6_activation": lambda: L.Activation("relu6"),
    "leaky_relu_activation": lambda: L.Activation("leaky_relu"),
}


@pytest.mark.parametrize("make_layer", RECTIFYING_LAYERS.values(), ids=RECTIFYING_LAYERS.keys())
@pytest.mark.parametrize("scale", [1.0, 7.0])
def test_rate_mode_matches_keras(make_layer, scale):
    """With scale s the thresholds and the cap scale with the gain, so rate mode is exact."""
    model = random_seq((6,), L.Dense(8), make_layer(), L.Dense(3))
    x = np.random.default_rng(0).normal(0, 2, (16, 6)).astype(np.float32)
    check_rate_matches_keras(model, x, scale_firing_rates=scale)


def test_options_reach_the_population():
    model = random_seq((6,), L.Dense(8), L.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.25, name="r"))
    population = snnconvert.convert(model).graph["r.neurons"]
    assert population.rectifier == Rectifier(negative_slope=0.1, threshold=0.25, max_value=0.8)
    assert "negative slope 0.1, threshold 0.25, max 0.8" in population.describe()


@pytest.mark.parametrize("activation, rectifier", [
    ("relu6", Rectifier(max_value=6.0)),
    ("leaky_relu", Rectifier(negative_slope=0.2)),  # Keras's default slope for the function
])
def test_activation_argument_uses_keras_defaults(activation, rectifier):
    model = random_seq((4, 4, 2), L.Conv2D(3, 3, activation=activation, name="c"), L.Flatten(), L.Dense(2))
    net = check_rate_matches_keras(model, np.random.default_rng(1).normal(0, 4, (8, 4, 4, 2)).astype(np.float32))
    assert net.graph["c.neurons"].rectifier == rectifier


def one_neuron_network(layer, weight=1.0):
    """input -> Dense(1, weight, no bias) -> ``layer``: one neuron fed ``weight * x``."""
    model = keras.Sequential([keras.Input((1,)), L.Dense(1, use_bias=False, name="d"), layer])
    model.layers[0].set_weights([np.array([[weight]], np.float32)])
    return model


def run_one_neuron(model, x, n_steps, dt, **options):
    net = snnconvert.convert(model, **options)
    population = next(node.name for node in net.graph if isinstance(node, NeuronNode))
    result = net.run(np.array([[x]], np.float32), n_steps, dt=dt, initial_state="zeros",
                     probes=[population], progress=False)
    [activity] = result.activity.values()
    return result.probes[population][0, :, 0], activity


def test_negative_input_gives_negative_spikes_hand_worked():
    """Slope 0.5, input -1, dt 0.25: the voltage falls 0.125 per step. From 0 it drops
    below 0 at step 1 (one negative spike, voltage 0.875), then again at step 9."""
    model = one_neuron_network(L.LeakyReLU(negative_slope=0.5, name="leaky"))
    output, activity = run_one_neuron(model, -1.0, 16, dt=0.25)
    expected = np.zeros(16)
    expected[[0, 8]] = -1 / 0.25  # n * amplitude / dt
    np.testing.assert_array_equal(output, expected)
    assert output.mean() == pytest.approx(-0.5)  # the rate: 0.5 * -1
    assert activity.total_spikes == 2  # negative spikes count by their magnitude


def test_positive_input_to_a_leaky_neuron_fires_like_relu():
    model = one_neuron_network(L.LeakyReLU(negative_slope=0.5))
    output, activity = run_one_neuron(model, 1.0, 8, dt=0.25)
    np.testing.assert_array_equal(output, [0, 0, 0, 4, 0, 0, 0, 4])
    assert activity.total_spikes == 2


def test_max_value_caps_the_firing_rate():
    """ReLU(max_value=2) fed 10 fires at rate 2 * scale, not 10 * scale."""
    model = one_neuron_network(L.ReLU(max_value=2.0))
    output, activity = run_one_neuron(model, 10.0, 100, dt=0.001, scale_firing_rates=50)
    assert activity.total_spikes == 10  # 2 * 50 Hz for 0.1 s
    assert output.mean() == pytest.approx(2.0)


def test_threshold_silences_inputs_below_it():
    model = one_neuron_network(L.ReLU(threshold=0.5))
    silent, _ = run_one_neuron(model, 0.4, 50, dt=0.01, scale_firing_rates=10)
    firing, _ = run_one_neuron(model, 0.6, 50, dt=0.01, scale_firing_rates=10)
    assert not silent.any()
    assert firing.mean() == pytest.approx(0.6, abs=1 / (10 * 50 * 0.01))


def test_leaky_network_spiking_average_approaches_rate_output():
    model = random_seq((6,), L.Dense(16), L.LeakyReLU(negative_slope=0.25), L.Dense(3))
    x = np.random.default_rng(2).normal(0, 1, (20, 6)).astype(np.float32)
    rate = snnconvert.convert(model, neuron_type="rate").run(x, 1, progress=False).output[:, 0]
    spiking = snnconvert.convert(model, scale_firing_rates=200).run(x, 200, progress=False)
    # Each neuron's count is off by less than one spike over 0.2 s at 200x: error < 1/(200 * 0.2)
    # per unit of activation, summed over the 16 weights of each output.
    bound = np.abs(model.layers[-1].get_weights()[0]).sum(axis=0).max() / (200 * 200 * 0.001)
    np.testing.assert_array_less(np.abs(spiking.output.mean(axis=1) - rate), bound)
    assert np.any(spiking.output < 0) or np.any(rate < 0)
    population = spiking.activity[next(iter(spiking.activity))]
    assert population.total_spikes > 0
