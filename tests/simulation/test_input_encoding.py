"""Input encodings: Poisson (rate-coded) spikes from values in [0, 1], and inputs given over time."""

from pathlib import Path

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.data import load_dataset
from snnconvert.data.preprocess import fit_to_input
from snnconvert.simulation import Simulator

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def mlp():
    """inp(5) -> hidden Dense(6, relu) -> out Dense(3), fixed weights."""
    inp = keras.Input((5,), name="inp")
    hidden = keras.layers.Dense(6, activation="relu", name="hidden")(inp)
    out = keras.layers.Dense(3, name="out")(hidden)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(3)
    model.get_layer("hidden").set_weights([rng.normal(0.3, 0.5, (5, 6)).astype(np.float32),
                                           np.full(6, 0.1, np.float32)])
    model.get_layer("out").set_weights([rng.normal(0, 1, (6, 3)).astype(np.float32), np.zeros(3, np.float32)])
    return model


@pytest.fixture(scope="module")
def net(mlp):
    return snnconvert.convert(mlp, scale_firing_rates=5, synapse=0.005)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(8).uniform(0, 1, (7, 5)).astype(np.float32)


def encoded_input(net, x, n_steps, **options):
    """What the input node carries at every step, ``[n, n_steps, *shape]``."""
    name = net.graph.inputs[0].name
    return net.run(x, n_steps, probes=(name,), progress=False, input_encoding="poisson", **options).probes[name]


def test_spike_rates_match_the_values_and_each_spike_is_worth_one_over_max_rate_dt(net):
    p = np.array([[0.0, 0.1, 0.5, 0.9, 1.0]] * 4, np.float32)
    n_steps, max_rate, dt = 2000, 400.0, 0.001
    carried = encoded_input(net, p, n_steps, max_rate=max_rate, dt=dt)
    spike_value = 1 / (max_rate * dt)
    assert set(np.unique(carried)) <= {0.0, np.float32(spike_value)}
    spikes = (carried > 0).sum(axis=(0, 1))  # per value, over samples and steps
    trials = len(p) * n_steps
    q = p[0] * max_rate * dt  # probability of a spike per step
    bound = 5 * np.sqrt(trials * q * (1 - q)) + 1e-9
    np.testing.assert_array_less(np.abs(spikes - trials * q), bound)
    assert spikes[0] == 0  # p = 0 never fires
    # Rates in Hz, and the mean input equals the constant current p.
    np.testing.assert_allclose(spikes / (trials * dt), p[0] * max_rate, rtol=0.05, atol=1.0)
    np.testing.assert_allclose(carried.mean(axis=(0, 1)), p[0], atol=0.03)


def test_at_one_spike_per_step_a_value_of_one_fires_every_step(net):
    carried = encoded_input(net, np.ones((2, 5), np.float32), 50, max_rate=1000.0, dt=0.001)
    np.testing.assert_array_equal(carried, 1.0)


def test_same_seed_gives_identical_results_and_other_seeds_differ(mlp, net, x):
    other_net = snnconvert.convert(mlp, scale_firing_rates=5, synapse=0.005)
    first = net.run(x, 40, input_encoding="poisson", max_rate=500, seed=3, progress=False)
    again = other_net.run(x, 40, input_encoding="poisson", max_rate=500, seed=3, progress=False)
    np.testing.assert_array_equal(first.output, again.output)
    other = encoded_input(net, x, 40, max_rate=500, seed=4)
    assert not np.array_equal(encoded_input(net, x, 40, max_rate=500, seed=3), other)


def test_spikes_do_not_depend_on_batch_size_or_windows(net, x):
    options = dict(input_encoding="poisson", max_rate=500, seed=1, progress=False)
    name = net.graph.inputs[0].name
    whole = net.run(x, 45, batch_size=len(x), probes=(name,), **options)
    split = net.run(x, 45, batch_size=3, chunk_steps=7, probes=(name,), **options)
    np.testing.assert_array_equal(whole.probes[name], split.probes[name])
    assert whole.spikes_per_layer == split.spikes_per_layer
    # Windows change only the float32 rounding of the synapses' running sums.
    np.testing.assert_allclose(whole.output, split.output, rtol=1e-5, atol=1e-4)


def test_poisson_input_is_not_the_constant_current(net, x):
    constant = net.run(x, 30, progress=False).output
    poisson = net.run(x, 30, input_encoding="poisson", progress=False).output
    assert not np.allclose(constant, poisson)


def test_inputs_given_over_time_are_taken_as_they_are(net):
    events = np.random.default_rng(2).poisson(2.0, (3, 12, 5)).astype(np.float32)  # counts, beyond [0, 1]
    name = net.graph.inputs[0].name
    result = net.run(events, 12, probes=(name,), input_encoding="poisson", progress=False)
    np.testing.assert_array_equal(result.probes[name], events)
    constant = net.run(events, 12, progress=False)
    np.testing.assert_array_equal(result.output, constant.output)


def test_every_constant_input_is_encoded_with_its_own_spikes():
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    out = keras.layers.Dense(2, activation="relu", name="out")(keras.layers.Concatenate()([left, right]))
    two = snnconvert.convert(keras.Model([left, right], out), synapse=0.005)
    x = np.full((2, 4), 0.5, np.float32)
    names = [node.name for node in two.graph.inputs]
    probes = two.run([x, x], 200, probes=names, input_encoding="poisson", max_rate=500, progress=False).probes
    assert set(np.unique(probes[names[0]])) == {0.0, 2.0}
    assert not np.array_equal(probes[names[0]], probes[names[1]])
    # One input given over time, the other encoded.
    events = np.full((2, 200, 4), 3.0, np.float32)
    probes = two.run([x, events], 200, probes=names, input_encoding="poisson", max_rate=500, progress=False).probes
    assert set(np.unique(probes[names[0]])) == {0.0, 2.0}
    np.testing.assert_array_equal(probes[names[1]], events)


def test_evaluate_compares_with_keras_on_the_mean_input(mlp, net, x):
    y = np.asarray(mlp(x)).argmax(axis=1)
    result = net.evaluate(x, y, 30, input_encoding="poisson", progress=False)
    assert result.keras_accuracy == 1.0


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_values_outside_zero_one_are_refused(net, x, value):
    bad = x.copy()
    bad[4, 2] = value
    with pytest.raises(ValueError, match=r"sample 4.*\[0, 1\].*input_encoding='constant'"):
        net.run(bad, 10, batch_size=3, input_encoding="poisson", progress=False)


def test_bad_options_are_refused(net):
    graph = net.graph
    with pytest.raises(ValueError, match=r"max_rate=2000 Hz, dt=0.001 s.*1000 Hz"):
        Simulator(graph, input_encoding="poisson", max_rate=2000)
    with pytest.raises(ValueError, match=r"max_rate=1000 Hz, dt=0.002"):
        Simulator(graph, input_encoding="poisson", dt=0.002)
    with pytest.raises(ValueError, match="`input_encoding` must be one of 'constant', 'poisson'"):
        Simulator(graph, input_encoding="rate")
    with pytest.raises(ValueError, match="`max_rate` only applies with input_encoding='poisson'"):
        Simulator(graph, max_rate=500)
    with pytest.raises(ValueError, match="`max_rate` must be a finite number > 0"):
        Simulator(graph, input_encoding="poisson", max_rate=0)


def test_poisson_digits_reach_the_constant_current_accuracy():
    """With a synapse to smooth the input spikes, rate-coded digits classify about as
    well as the constant pixel currents."""
    net = snnconvert.convert(str(MODELS / "digits_mlp.h5"), scale_firing_rates=20, synapse=0.02)
    images, labels = load_dataset("digits", "test")
    x = fit_to_input(images, net.graph.inputs[0].shape, pixel_scale=16.0)
    constant = net.evaluate(x, labels, 80, progress=False)
    poisson = net.evaluate(x, labels, 80, input_encoding="poisson", max_rate=1000, progress=False)
    assert constant.accuracy > 0.85
    assert poisson.accuracy >= constant.accuracy - 0.04
    assert poisson.simulation.total_spikes != constant.simulation.total_spikes
