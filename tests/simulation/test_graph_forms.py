"""Merging, pooling and affine nodes fed by spikes, against naive per-step references.

Spiking populations hand their output on as running sums and static values stay
static (see snnconvert/simulation/signals.py), so Add/Concatenate of spikes with a
static branch, pooling of spikes, and a BatchNormalization (affine with offset) after
spikes all go through the form conversions. Each reference below steps through time
one step at a time in numpy, calling the Keras layers themselves for the linear parts.
"""

import keras
import numpy as np
import pytest

import snnconvert

DT, SCALE = 0.002, 100


def _spike_step(v, current, gain):
    """One step of the spiking ReLU on float64 state: returns (spikes, new v)."""
    v = v + np.maximum(gain * current, 0) * DT
    n = np.floor(v)
    return n, v - n


@pytest.fixture(scope="module")
def merge_model():
    keras.utils.set_random_seed(21)
    inp = keras.Input((4,))
    a = keras.layers.Dense(5, activation="relu", name="a")(inp)
    s = keras.layers.Dense(5, name="skip")(inp)  # static branch, no neurons
    added = keras.layers.Add(name="add")([a, s])
    r = keras.layers.ReLU(name="r")(added)
    cat = keras.layers.Concatenate(name="cat")([r, a, s])
    out = keras.layers.Dense(2, name="out")(cat)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(4)
    for name, shape in (("a", (4, 5)), ("skip", (4, 5)), ("out", (15, 2))):
        model.get_layer(name).set_weights(
            [rng.normal(0, 0.7, shape).astype(np.float32), rng.normal(0.2, 0.2, shape[1]).astype(np.float32)]
        )
    return model


@pytest.fixture(scope="module")
def pool_model():
    keras.utils.set_random_seed(22)
    inp = keras.Input((6, 6, 1))
    x = keras.layers.Conv2D(3, 3, activation="relu", name="c1")(inp)
    x = keras.layers.AveragePooling2D(2, name="pool")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Activation("relu", name="r2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(2, name="out")(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(5)
    model.get_layer("c1").set_weights([rng.normal(0.2, 0.3, (3, 3, 1, 3)).astype(np.float32),
                                       np.full(3, 0.1, np.float32)])
    model.get_layer("bn").set_weights([
        np.array([1.5, 0.8, 2.0], np.float32),  # gamma
        np.array([0.3, -0.1, 0.2], np.float32),  # beta
        np.array([0.5, 0.4, 0.9], np.float32),  # moving mean
        np.array([0.2, 0.5, 1.0], np.float32),  # moving variance
    ])
    model.get_layer("out").set_weights([rng.normal(0, 1, (3, 2)).astype(np.float32),
                                        np.array([0.1, -0.1], np.float32)])
    return model


def _inputs(shape, seed):
    return np.random.default_rng(seed).uniform(0, 1, shape).astype(np.float32)


def _layer(model, name):
    return model.get_layer(name)


def _call(model, name, x, **kwargs):
    return np.asarray(_layer(model, name)(np.asarray(x, np.float32), **kwargs), np.float64)


@pytest.mark.parametrize("model_name, shape", [("merge_model", (5, 4)), ("pool_model", (5, 6, 6, 1))])
def test_rate_mode_reproduces_keras(request, model_name, shape):
    model = request.getfixturevalue(model_name)
    x = _inputs(shape, 1)
    net = snnconvert.convert(model, neuron_type="rate")
    result = net.run(x, 3, progress=False)
    expected = model.predict(x, verbose=0)
    for t in range(3):
        np.testing.assert_allclose(result.output[:, t], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("chunk_steps, tau", [(None, None), (4, None), (None, 0.005), (4, 0.005)])
def test_add_and_concatenate_of_spikes_and_static_branch(merge_model, chunk_steps, tau):
    """With a synapse the spiking branches arrive per step instead of as running sums."""
    n_steps, x = 25, _inputs((6, 4), 2)
    net = snnconvert.convert(merge_model, scale_firing_rates=SCALE, synapse=tau)
    result = net.run(x, n_steps, dt=DT, initial_state="half", chunk_steps=chunk_steps, progress=False)

    amp = 1.0 / SCALE
    w_a, b_a = (w.astype(np.float64) for w in _layer(merge_model, "a").get_weights())
    a_current = x.astype(np.float64) @ w_a + b_a  # Dense "a" before its relu
    skip = _call(merge_model, "skip", x)
    w_out, b_out = (w.astype(np.float64) for w in _layer(merge_model, "out").get_weights())
    decay = 0.0 if tau is None else np.exp(-DT / tau)
    v_a, v_r = np.full((6, 5), 0.5), np.full((6, 5), 0.5)
    y_a, y_r = np.zeros((6, 5)), np.zeros((6, 5))
    spikes = {"a": 0.0, "r": 0.0}
    expected = []
    for _ in range(n_steps):
        n_a, v_a = _spike_step(v_a, a_current, SCALE)
        y_a = decay * y_a + (1 - decay) * n_a * amp / DT  # the identity when tau is None
        a_out = y_a
        n_r, v_r = _spike_step(v_r, a_out + skip, SCALE)
        y_r = decay * y_r + (1 - decay) * n_r * amp / DT
        r_out = y_r
        expected.append(np.concatenate([r_out, a_out, skip], axis=1) @ w_out + b_out)
        spikes["a"] += n_a.sum()
        spikes["r"] += n_r.sum()
    assert result.spikes_per_layer == {"a": spikes["a"], "r": spikes["r"]}
    assert spikes["r"] > 50
    np.testing.assert_allclose(result.output, np.stack(expected, axis=1), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("chunk_steps", [None, 6])
def test_pooling_and_batchnorm_after_spikes(pool_model, chunk_steps):
    n_steps, x = 20, _inputs((4, 6, 6, 1), 3)
    net = snnconvert.convert(pool_model, scale_firing_rates=SCALE)
    result = net.run(x, n_steps, dt=DT, initial_state="half", chunk_steps=chunk_steps, progress=False)

    amp = 1.0 / SCALE
    c1_linear = keras.layers.Conv2D(3, 3)
    c1_linear.build((None, 6, 6, 1))
    c1_linear.set_weights(_layer(pool_model, "c1").get_weights())
    c1_current = np.asarray(c1_linear(x), np.float64)
    w_out, b_out = (w.astype(np.float64) for w in _layer(pool_model, "out").get_weights())
    v1, v2 = np.full(c1_current.shape, 0.5), None
    spikes = {"c1": 0.0, "r2": 0.0}
    expected = []
    for _ in range(n_steps):
        n1, v1 = _spike_step(v1, c1_current, SCALE)
        pooled = _call(pool_model, "pool", n1 * amp / DT)
        normalised = _call(pool_model, "bn", pooled, training=False)
        if v2 is None:
            v2 = np.full(normalised.shape, 0.5)
        n2, v2 = _spike_step(v2, normalised, SCALE)
        gap = (n2 * amp / DT).mean(axis=(1, 2))
        expected.append(gap @ w_out + b_out)
        spikes["c1"] += n1.sum()
        spikes["r2"] += n2.sum()
    assert result.spikes_per_layer == {"c1": spikes["c1"], "r2": spikes["r2"]}
    assert spikes["r2"] > 50
    np.testing.assert_allclose(result.output, np.stack(expected, axis=1), rtol=1e-4, atol=1e-3)
