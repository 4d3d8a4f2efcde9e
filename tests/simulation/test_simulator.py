"""Simulator mechanics: a naive per-step reference, chunking, batching, inputs, validation."""

import inspect
import math

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.simulation.state import initial_voltage


def _initial_voltages(kind, populations, n_samples, seed):
    """The voltages the simulator starts each population from (one batch of all samples).

    ``zeros``/``half`` are fixed by the spec; for ``uniform`` the package's own seeded
    generator is used (its signature has changed over time, hence the two forms).
    """
    if kind == "zeros":
        return {name: np.zeros((n_samples, size)) for name, size in populations}
    if kind == "half":
        return {name: np.full((n_samples, size), 0.5) for name, size in populations}
    if "population" in inspect.signature(initial_voltage).parameters:
        return {name: initial_voltage(kind, f"{name}.neurons", (n_samples, size), 0, seed)
                for name, size in populations}
    rng = np.random.default_rng(seed)  # drawn population by population, in network order
    return {name: initial_voltage(kind, (n_samples, size), rng) for name, size in populations}

# ------------------------------------------------------------ naive reference


@pytest.fixture(scope="module")
def mlp():
    """inp(5) -> h1 Dense(8, relu) -> h2 Dense(6, relu) -> out Dense(3), fixed weights."""
    keras.utils.set_random_seed(3)
    inp = keras.Input((5,))
    x = keras.layers.Dense(8, activation="relu", name="h1")(inp)
    x = keras.layers.Dense(6, activation="relu", name="h2")(x)
    out = keras.layers.Dense(3, name="out")(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(11)
    for name, shape in (("h1", (5, 8)), ("h2", (8, 6)), ("out", (6, 3))):
        kernel = rng.normal(0, 0.8, shape).astype(np.float32)
        bias = rng.normal(0.2, 0.2, shape[1]).astype(np.float32)
        model.get_layer(name).set_weights([kernel, bias])
    return model


@pytest.fixture(scope="module")
def mlp_inputs():
    return np.random.default_rng(5).uniform(0, 1, (7, 5)).astype(np.float32)


def naive_simulate(model, x, n_steps, dt, scale, tau, v0_by_layer):
    """Per-step float64 simulation of the MLP (NengoDL semantics), no vectorisation."""
    layers = [model.get_layer(n).get_weights() for n in ("h1", "h2", "out")]
    a = None if tau is None else math.exp(-dt / tau)
    v = {name: np.array(v0_by_layer[name], np.float64) for name in ("h1", "h2")}
    syn = {name: np.zeros((len(x), layers[i][0].shape[1])) for i, name in enumerate(("h1", "h2"))}
    outputs = np.zeros((len(x), n_steps, 3))
    spikes = {"h1": np.zeros((len(x), 8)), "h2": np.zeros((len(x), 6))}
    for t in range(n_steps):
        signal = np.asarray(x, np.float64)
        for i, name in enumerate(("h1", "h2")):
            kernel, bias = (w.astype(np.float64) for w in layers[i])
            current = scale * (signal @ kernel + bias)
            v[name] += np.maximum(current, 0) * dt
            n = np.floor(v[name])
            v[name] -= n
            spikes[name] += n
            signal = n * (1.0 / scale) / dt
            if a is not None:
                syn[name] = a * syn[name] + (1 - a) * signal
                signal = syn[name]
        kernel, bias = (w.astype(np.float64) for w in layers[2])
        outputs[:, t] = signal @ kernel + bias
    return outputs, spikes


@pytest.mark.parametrize("synapse", [None, 0.005])
@pytest.mark.parametrize("initial_state", ["zeros", "half", "uniform"])
def test_matches_naive_per_step_simulation(mlp, mlp_inputs, synapse, initial_state):
    dt, n_steps, scale, seed = 0.001, 60, 300, 4
    net = snnconvert.convert(mlp, scale_firing_rates=scale, synapse=synapse)
    result = net.run(mlp_inputs, n_steps, dt=dt, initial_state=initial_state, seed=seed,
                     progress=False)
    v0 = _initial_voltages(initial_state, (("h1", 8), ("h2", 6)), len(mlp_inputs), seed)
    ref_out, ref_spikes = naive_simulate(mlp, mlp_inputs, n_steps, dt, scale, synapse, v0)
    for name in ("h1", "h2"):
        np.testing.assert_array_equal(result.activity[name].per_image, ref_spikes[name].sum(axis=1))
        np.testing.assert_array_equal(result.activity[name].per_neuron, ref_spikes[name].sum(axis=0))
    np.testing.assert_allclose(result.output, ref_out, rtol=1e-4, atol=1e-3)
    assert result.total_spikes > 400


def test_rate_mode_with_synapse_matches_naive_recurrence(chain_model):
    """Rate chain A -> B with tau on both: y_A = 1 - a^t; B's rate is 2 * y_A, then filtered."""
    dt, tau, n_steps = 0.1, 0.3, 12
    net = snnconvert.convert(chain_model, neuron_type="rate", synapse=tau)
    result = net.run(np.ones((1, 1)), n_steps, dt=dt, progress=False)
    a = math.exp(-dt / tau)
    y_a, y_b, ref_a, ref_b = 0.0, 0.0, [], []
    for _ in range(n_steps):
        y_a = a * y_a + (1 - a) * 1.0
        y_b = a * y_b + (1 - a) * 2.0 * y_a
        ref_a.append(y_a)
        ref_b.append(y_b)
    out_a, out_b = result.outputs.values()  # in the order of the model's outputs
    np.testing.assert_allclose(out_a[0, :, 0], ref_a, rtol=1e-5)
    np.testing.assert_allclose(out_b[0, :, 0], ref_b, rtol=1e-5)
    np.testing.assert_allclose(ref_a, 1 - a ** np.arange(1, n_steps + 1))  # closed form


# ---------------------------------------------------------------- rate = keras


def test_rate_mode_without_synapse_reproduces_keras_at_every_step(convnet, convnet_images):
    net = snnconvert.convert(convnet, neuron_type="rate", scale_firing_rates=7)
    result = net.run(convnet_images, 9, batch_size=3, progress=False)
    expected = convnet.predict(convnet_images, verbose=0)
    assert result.output.shape == (len(convnet_images), 9, 3)
    for t in range(9):
        np.testing.assert_allclose(result.output[:, t], expected, rtol=1e-5, atol=1e-5)


def test_rate_mode_mlp_reproduces_keras(mlp, mlp_inputs):
    result = snnconvert.convert(mlp, neuron_type="rate").run(mlp_inputs, 4, progress=False)
    expected = mlp.predict(mlp_inputs, verbose=0)
    np.testing.assert_allclose(result.output, np.repeat(expected[:, None], 4, axis=1), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------- chunking


def _signature(result):
    return result.output, result.spikes_per_layer, {k: a.per_neuron for k, a in result.activity.items()}


@pytest.mark.parametrize(
    "initial_state, synapse", [("half", None), ("half", 0.01), ("zeros", None), ("uniform", 0.01)]
)
def test_chunk_steps_do_not_change_a_spike(convnet, convnet_images, synapse, initial_state):
    net = snnconvert.convert(convnet, scale_firing_rates=80, synapse=synapse)
    runs = {
        chunk: net.run(convnet_images, 14, dt=0.005, chunk_steps=chunk, initial_state=initial_state,
                       seed=1, progress=False, probes=["conv.neurons", "hidden.neurons"])
        for chunk in (None, 1, 3, 7)
    }
    reference = runs[None]
    assert reference.spikes_per_layer["hidden"] > 100
    for chunk, result in runs.items():
        assert result.spikes_per_layer == reference.spikes_per_layer, chunk
        for name, activity in result.activity.items():
            np.testing.assert_array_equal(activity.per_neuron, reference.activity[name].per_neuron)
            np.testing.assert_array_equal(activity.per_image, reference.activity[name].per_image)
        for name in ("conv.neurons", "hidden.neurons"):
            # Spike trains (the neurons' own outputs) are identical, step by step.
            np.testing.assert_array_equal(result.probes[name], reference.probes[name])
        np.testing.assert_allclose(result.output, reference.output, rtol=1e-5, atol=1e-4)


def test_chunk_steps_with_time_varying_input(mlp, mlp_inputs):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (len(mlp_inputs), 15, 5)).astype(np.float32)
    net = snnconvert.convert(mlp, scale_firing_rates=100, synapse=0.004)
    runs = [net.run(x, 15, dt=0.001, chunk_steps=c, progress=False) for c in (None, 1, 4)]
    for result in runs[1:]:
        assert result.spikes_per_layer == runs[0].spikes_per_layer
        np.testing.assert_allclose(result.output, runs[0].output, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_chunk_steps_validated(convnet, convnet_images, bad):
    net = snnconvert.convert(convnet)
    with pytest.raises(ValueError, match="chunk_steps"):
        net.run(convnet_images, 5, chunk_steps=bad, progress=False)


# ---------------------------------------------------------------- batching


@pytest.mark.parametrize("initial_state", ["half", "zeros"])
def test_batch_size_does_not_change_results(convnet, convnet_images, initial_state):
    net = snnconvert.convert(convnet, scale_firing_rates=50, synapse=0.005)
    runs = [
        net.run(convnet_images, 15, dt=0.005, batch_size=b, initial_state=initial_state,
                progress=False, probes=["hidden.neurons"])
        for b in (1, 7, len(convnet_images))
    ]
    assert runs[0].spikes_per_layer["hidden"] > 50
    for result in runs[1:]:
        assert result.spikes_per_layer == runs[0].spikes_per_layer
        for name, activity in result.activity.items():
            np.testing.assert_array_equal(activity.per_image, runs[0].activity[name].per_image)
            np.testing.assert_array_equal(activity.per_neuron, runs[0].activity[name].per_neuron)
        np.testing.assert_allclose(result.output, runs[0].output, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(result.probes["hidden.neurons"], runs[0].probes["hidden.neurons"],
                                   rtol=1e-5, atol=1e-5)
        assert result.output.shape == (len(convnet_images), 15, 3)


def test_uniform_initial_state_seeded(convnet, convnet_images):
    net = snnconvert.convert(convnet, scale_firing_rates=20)

    def run(**options):
        return net.run(convnet_images, 12, dt=0.002, initial_state="uniform", progress=False, **options)

    first, again, other = run(seed=3), run(seed=3), run(seed=4)
    np.testing.assert_array_equal(first.output, again.output)
    assert first.spikes_per_layer == again.spikes_per_layer
    assert not np.array_equal(first.output, other.output)
    assert any(
        not np.array_equal(first.activity[k].per_neuron, other.activity[k].per_neuron)
        for k in first.activity
    )
    # And it really differs from the deterministic starts.
    half = net.run(convnet_images, 12, dt=0.002, initial_state="half", progress=False)
    assert not np.array_equal(first.output, half.output)


def test_uniform_initial_state_does_not_depend_on_batch_size(convnet, convnet_images):
    """The uniform start is drawn per sample (seeded), so batching must not change it."""
    net = snnconvert.convert(convnet, scale_firing_rates=20)
    runs = [net.run(convnet_images, 10, dt=0.005, initial_state="uniform", seed=9,
                    batch_size=b, progress=False) for b in (1, 3, len(convnet_images))]
    for result in runs[1:]:
        assert result.spikes_per_layer == runs[0].spikes_per_layer
        for name, activity in result.activity.items():  # every neuron fires the same spikes
            np.testing.assert_array_equal(activity.per_neuron, runs[0].activity[name].per_neuron)
        # The readout Dense's matrix product may block its sums differently for another
        # batch size (it does on AVX2-only CPUs), so its outputs agree to float rounding.
        np.testing.assert_allclose(result.output, runs[0].output, rtol=1e-5, atol=1e-5)


def test_unknown_initial_state_rejected(convnet, convnet_images):
    with pytest.raises(ValueError, match="initial_state"):
        snnconvert.convert(convnet).run(convnet_images, 5, initial_state="random", progress=False)


# ---------------------------------------------------------- time-varying input


@pytest.mark.parametrize("synapse", [None, 0.003])
def test_tiled_time_varying_input_equals_constant_input(convnet, convnet_images, synapse):
    n_steps = 18
    net = snnconvert.convert(convnet, scale_firing_rates=40, synapse=synapse)
    tiled = np.repeat(convnet_images[:, None], n_steps, axis=1)
    assert tiled.shape == (8, n_steps, 6, 6, 1)
    constant = net.run(convnet_images, n_steps, dt=0.005, progress=False)
    varying = net.run(tiled, n_steps, dt=0.005, progress=False)
    assert varying.spikes_per_layer == constant.spikes_per_layer
    for name, activity in varying.activity.items():
        np.testing.assert_array_equal(activity.per_neuron, constant.activity[name].per_neuron)
    np.testing.assert_allclose(varying.output, constant.output, rtol=1e-5, atol=1e-4)
    assert constant.spikes_per_layer["hidden"] > 100


def test_time_varying_input_is_used_step_by_step(chain_model):
    # x = 0 for 5 steps then 1: with s=10 (one spike per step at x = 1) A is silent first.
    x = np.concatenate([np.zeros((1, 5, 1)), np.ones((1, 5, 1))], axis=1)
    net = snnconvert.convert(chain_model, scale_firing_rates=10)
    result = net.run(x, 10, dt=0.1, initial_state="zeros", progress=False)
    np.testing.assert_array_equal(result.outputs["A.neurons"][0, :, 0], [0] * 5 + [1] * 5)
    np.testing.assert_array_equal(result.outputs["B.neurons"][0, :, 0], [0] * 5 + [2] * 5)


def test_time_varying_input_with_wrong_step_count_raises(convnet, convnet_images):
    tiled = np.repeat(convnet_images[:, None], 10, axis=1)
    net = snnconvert.convert(convnet)
    with pytest.raises(ValueError, match="n_steps"):
        net.run(tiled, 12, progress=False)


def test_dataset_input_equals_array_input(convnet, convnet_images):
    tf = pytest.importorskip("tensorflow")
    net = snnconvert.convert(convnet, scale_firing_rates=30)
    options = dict(dt=0.005, initial_state="half", progress=False)
    reference = net.run(convnet_images, 10, **options)
    unbatched = tf.data.Dataset.from_tensor_slices(convnet_images)
    for dataset in (unbatched, unbatched.batch(3)):
        result = net.run(dataset, 10, **options)
        assert result.spikes_per_layer == reference.spikes_per_layer
        np.testing.assert_allclose(result.output, reference.output, rtol=1e-6, atol=1e-6)
    tiled = np.repeat(convnet_images[:, None], 10, axis=1)
    batched_temporal = tf.data.Dataset.from_tensor_slices(tiled).batch(3)
    result = net.run(batched_temporal, 10, **options)
    assert result.spikes_per_layer == reference.spikes_per_layer


def test_unbatched_time_varying_dataset(convnet, convnet_images):
    tf = pytest.importorskip("tensorflow")
    net = snnconvert.convert(convnet, scale_firing_rates=30)
    options = dict(dt=0.005, initial_state="half", progress=False)
    reference = net.run(convnet_images, 10, **options)
    tiled = np.repeat(convnet_images[:, None], 10, axis=1)
    result = net.run(tf.data.Dataset.from_tensor_slices(tiled), 10, **options)
    assert result.n_images == len(convnet_images)
    assert result.spikes_per_layer == reference.spikes_per_layer


def test_jit_compile_gives_the_same_spikes(chain_model, convnet, convnet_images):
    net = snnconvert.convert(chain_model, scale_firing_rates=1)
    result = net.run(np.ones((1, 1)), 30, dt=0.1, initial_state="zeros", jit_compile=True,
                     chunk_steps=7, progress=False)
    assert result.spikes_per_layer == {"A": 3, "B": 6}
    net = snnconvert.convert(convnet, scale_firing_rates=50, synapse=0.01)
    plain = net.run(convnet_images, 12, dt=0.005, progress=False)
    jitted = net.run(convnet_images, 12, dt=0.005, jit_compile=True, progress=False)
    assert jitted.spikes_per_layer == plain.spikes_per_layer
    np.testing.assert_allclose(jitted.output, plain.output, rtol=1e-5, atol=1e-5)


def test_probing_does_not_change_the_simulation(mlp, mlp_inputs):
    """Probed nodes are simulated as converted (synapses not moved around them); the
    result must be the same as without probes, up to float rounding."""
    net = snnconvert.convert(mlp, scale_firing_rates=200, synapse=0.004)
    options = dict(dt=0.001, initial_state="half", progress=False)
    plain = net.run(mlp_inputs, 30, **options)
    probed = net.run(mlp_inputs, 30, probes=["h1.synapse", "h2", "out"], **options)
    assert probed.spikes_per_layer == plain.spikes_per_layer
    np.testing.assert_allclose(probed.output, plain.output, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(probed.probes["out"], plain.output, rtol=1e-5, atol=1e-4)
    # The probed synapse output is the low-pass of h1's spike train.
    h1 = net.run(mlp_inputs, 30, probes=["h1.neurons"], **options).probes["h1.neurons"]
    a = math.exp(-0.001 / 0.004)
    y, expected = np.zeros_like(h1[:, 0], dtype=np.float64), []
    for t in range(30):
        y = a * y + (1 - a) * h1[:, t]
        expected.append(y)
    np.testing.assert_allclose(probed.probes["h1.synapse"], np.stack(expected, axis=1), rtol=1e-4, atol=1e-3)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("shape", [(8, 6, 6), (8, 36), (8, 6, 6, 2), (8, 3, 6, 6, 2)])
def test_wrong_input_shape_names_expected_shape(convnet, shape):
    net = snnconvert.convert(convnet)
    with pytest.raises(ValueError, match=r"\(6, 6, 1\)"):
        net.run(np.zeros(shape, np.float32), 5, progress=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_raises(convnet, convnet_images, bad):
    x = convnet_images.copy()
    x[2, 1, 1, 0] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        snnconvert.convert(convnet).run(x, 5, progress=False)


def test_empty_input_raises(convnet):
    with pytest.raises(ValueError, match="empty"):
        snnconvert.convert(convnet).run(np.zeros((0, 6, 6, 1)), 5, progress=False)


def test_wrong_number_of_inputs_raises(convnet, convnet_images):
    with pytest.raises(ValueError, match="1 input"):
        snnconvert.convert(convnet).run([convnet_images, convnet_images], 5, progress=False)


@pytest.mark.parametrize(
    "options, name",
    [
        (dict(n_steps=0), "n_steps"),
        (dict(n_steps=-3), "n_steps"),
        (dict(n_steps=2.5), "n_steps"),
        (dict(dt=0), "dt"),
        (dict(dt=-0.001), "dt"),
        (dict(dt=float("nan")), "dt"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=-1), "batch_size"),
    ],
)
def test_invalid_options_raise_naming_the_option(convnet, convnet_images, options, name):
    net = snnconvert.convert(convnet)
    options = {"n_steps": 5, **options}
    with pytest.raises(ValueError, match=rf"`{name}`"):
        net.run(convnet_images, options.pop("n_steps"), progress=False, **options)


def test_unknown_probe_raises(convnet, convnet_images):
    net = snnconvert.convert(convnet)
    with pytest.raises(ValueError, match="nosuchnode"):
        net.run(convnet_images, 5, probes=["hidden.neurons", "nosuchnode"], progress=False)


def test_probe_of_linear_node_is_its_value_at_every_step(convnet, convnet_images):
    # "conv" is the Conv2D node before its neurons: constant over time, = W * x + b.
    net = snnconvert.convert(convnet)
    result = net.run(convnet_images, 4, probes="conv", progress=False)
    conv = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3)])
    conv.set_weights(convnet.get_layer("conv").get_weights())
    expected = conv.predict(convnet_images, verbose=0)
    assert result.probes["conv"].shape == (8, 4, 4, 4, 4)
    for t in range(4):
        np.testing.assert_allclose(result.probes["conv"][:, t], expected, rtol=1e-5, atol=1e-5)


def test_synapse_option_validated(convnet):
    with pytest.raises(ValueError, match="synapse"):
        snnconvert.convert(convnet, synapse=-0.01)
    with pytest.raises(ValueError, match="synapse"):
        snnconvert.convert(convnet, synapse={"hidden": -0.01})


    def synapses(net):
        """Layer -> tau of every synapse in the graph (on a neuron or a synapse node)."""
        return {node.source: node.synapse.tau for node in net.graph
                if getattr(node, "synapse", None) is not None}

    assert synapses(snnconvert.convert(convnet, synapse={"hidden": 0.01})) == {"hidden": 0.01}
    assert synapses(snnconvert.convert(convnet, synapse=0.02)) == {"conv": 0.02, "hidden": 0.02}
    assert synapses(snnconvert.convert(convnet, synapse=0)) == {}
    assert synapses(snnconvert.convert(convnet, synapse=None)) == {}


# ------------------------------------------------------------- long runs


@pytest.fixture(scope="module")
def single_neuron():
    inp = keras.Input((1,))
    out = keras.layers.Dense(1, use_bias=False, activation="relu", name="N")(inp)
    model = keras.Model(inp, out)
    model.get_layer("N").set_weights([np.full((1, 1), 1000.0, np.float32)])
    return snnconvert.convert(model)


def _naive_float32_count(increment, n_steps, v0=0.5):
    """NengoDL's per-step update in float32: v += J*dt; n = floor(v); v -= n."""
    v, total = np.float32(v0), 0.0
    for _ in range(n_steps):
        v = np.float32(v + increment)
        n = np.floor(v)
        total += n
        v = np.float32(v - n)
    return total


def test_long_constant_input_counts_exactly(single_neuron):
    # J = 1000 * 1.0003, dt = 1 ms: 1.0003 spikes per step; 20000 steps -> 20006 spikes.
    n_steps = 20000
    x = np.full((1, 1), 1.0003, np.float32)
    result = single_neuron.run(x, n_steps, dt=0.001, initial_state="half", progress=False)
    increment = np.float32(np.float32(1.0003) * np.float32(1000.0)) * np.float32(0.001)
    assert _naive_float32_count(increment, n_steps) == 20006
    assert result.spikes_per_layer == {"N": 20006}


# Regression (found while writing these tests): a time-varying current used to be
# integrated as a float32 cumsum of raw currents; its ulp grows with the sum (1.0 past
# 2**23, i.e. after ~8400 steps of J = 1000), so this run lost 3 of 20006 spikes.
def test_long_time_varying_input_counts_like_constant(single_neuron):
    n_steps = 20000
    x = np.full((1, n_steps, 1), 1.0003, np.float32)
    result = single_neuron.run(x, n_steps, dt=0.001, initial_state="half", progress=False)
    assert result.spikes_per_layer == {"N": 20006}
