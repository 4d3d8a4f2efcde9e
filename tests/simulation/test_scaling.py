"""``scale_firing_rates``: spikes grow with the scale, the time-averaged output does not.

The network (Conv -> Flatten -> Dense -> Dense logits) has mixed-sign convolution
weights but a non-negative hidden kernel and biases. That choice is deliberate: the
spiking ReLU rectifies the *per-step* current, so with mixed-sign weights a deep layer
fed by sparse spikes integrates more than the mean current (noise is rectified) and
its spike count is not exactly proportional to the scale. With non-negative hidden
weights every current is >= 0, and the half start makes each neuron's count
``round(s * J * T * dt)``. That gives hard bounds used below:

* conv (static input): |mean output - a| <= 0.5 / (s * T * dt) per neuron;
* hidden: error <= 0.5 / (s T dt) + sum_j |W_ij| * conv error;
* logits (linear): error <= sum_i |W_out_ij| * hidden error.
"""

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert import ConversionError

DT, N_STEPS = 0.01, 200


@pytest.fixture(scope="module")
def model(make_convnet):
    """The shared small CNN (tests/conftest.py) with the non-negative hidden kernel
    the bounds above need."""
    return make_convnet(hidden=10, hidden_std=0.04, hidden_bias=0.05, nonnegative_hidden=True)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(99).uniform(0, 1, (6, 6, 6, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def keras_values(model, images):
    conv = keras.Model(model.input, model.get_layer("conv").output).predict(images, verbose=0)
    hidden = keras.Model(model.input, model.get_layer("hidden").output).predict(images, verbose=0)
    return conv, hidden, model.predict(images, verbose=0)


@pytest.fixture(scope="module")
def runs(model, images):
    results = {}
    for scale in (10, 100):
        net = snnconvert.convert(model, scale_firing_rates=scale)
        results[scale] = net.run(
            images, N_STEPS, dt=DT, initial_state="half", progress=False,
            probes=["conv.neurons", "hidden.neurons"],
        )
    return results


def test_total_spikes_proportional_to_scale(runs):
    low, high = runs[10].spikes_per_layer, runs[100].spikes_per_layer
    assert low["conv"] > 1000 and low["hidden"] > 300  # enough spikes for a 10% check
    for layer in ("conv", "hidden"):
        assert high[layer] / low[layer] == pytest.approx(10, rel=0.1)
    assert runs[100].total_spikes / runs[10].total_spikes == pytest.approx(10, rel=0.1)


@pytest.mark.parametrize("scale", [10, 100])
def test_time_averaged_output_within_rounding_bound(model, runs, keras_values, scale):
    conv_a, hidden_a, logits = keras_values
    result = runs[scale]
    one = 0.5 / (scale * N_STEPS * DT)  # half a spike, in output units, averaged over T
    w_hidden = np.abs(model.get_layer("hidden").get_weights()[0])
    w_out = np.abs(model.get_layer("logits").get_weights()[0])
    conv_bound = one + 1e-5
    hidden_bound = one + w_hidden.sum(axis=0).max() * conv_bound + 1e-5
    out_bound = w_out.sum(axis=0).max() * hidden_bound + 1e-5

    conv_err = np.abs(result.probes["conv.neurons"].mean(axis=1) - conv_a).max()
    hidden_err = np.abs(result.probes["hidden.neurons"].mean(axis=1) - hidden_a).max()
    out_err = np.abs(result.output.mean(axis=1) - logits).max()
    assert conv_err <= conv_bound
    assert hidden_err <= hidden_bound
    assert out_err <= out_bound
    if scale == 100:
        # The bound is tight enough to mean something: 10% of the logits' range.
        assert out_bound < 0.1 * np.abs(logits).max()
        # and the error shrank with the scale.
        assert out_err < np.abs(runs[10].output.mean(axis=1) - logits).max()


def test_rate_mode_matches_keras_whatever_the_scale(model, images, keras_values):
    for scale in (1, 37.5):
        net = snnconvert.convert(model, scale_firing_rates=scale, neuron_type="rate")
        result = net.run(images, 3, dt=DT, progress=False)
        np.testing.assert_allclose(result.output, np.repeat(keras_values[2][:, None], 3, axis=1),
                                   rtol=1e-5, atol=1e-5)


def test_per_layer_scale_only_changes_that_layer(model, images):
    base = snnconvert.convert(model)
    scaled = snnconvert.convert(model, scale_firing_rates={"hidden": 5})
    assert scaled.graph["hidden.neurons"].gain == 5
    assert scaled.graph["hidden.neurons"].amplitude == pytest.approx(0.2)
    assert scaled.graph["conv.neurons"].gain == 1
    assert scaled.graph["conv.neurons"].amplitude == 1

    options = dict(dt=DT, initial_state="half", progress=False,
                   probes=["conv.neurons", "hidden.neurons"])
    r_base = base.run(images, N_STEPS, **options)
    r_scaled = scaled.run(images, N_STEPS, **options)
    # The layer before is untouched, spike for spike.
    np.testing.assert_array_equal(r_scaled.probes["conv.neurons"], r_base.probes["conv.neurons"])
    assert r_scaled.spikes_per_layer["conv"] == r_base.spikes_per_layer["conv"]

    # Independent reference for the hidden layer: from the (shared) conv spike trains,
    # hidden neuron i emits floor(0.5 + gain * dt * sum_t max(W_i . c_t + b_i, 0)).
    kernel, bias = (w.astype(np.float64) for w in model.get_layer("hidden").get_weights())
    conv = r_base.probes["conv.neurons"].reshape(len(images), N_STEPS, -1).astype(np.float64)
    drive = np.maximum(conv @ kernel + bias, 0).sum(axis=1) * DT  # [images, neurons]
    for result, gain, amplitude in ((r_base, 1, 1.0), (r_scaled, 5, 0.2)):
        counts = result.probes["hidden.neurons"].sum(axis=1) * DT / amplitude
        np.testing.assert_allclose(counts, np.floor(0.5 + gain * drive), atol=1e-3)
        np.testing.assert_array_equal(result.activity["hidden"].per_image,
                                      np.floor(0.5 + gain * drive).sum(axis=1))
    # So the scaled layer fires ~5x as much (each count is within half a spike).
    ratio = r_scaled.spikes_per_layer["hidden"] / r_base.spikes_per_layer["hidden"]
    assert r_base.spikes_per_layer["hidden"] > 100, r_scaled.spikes_per_layer
    assert ratio == pytest.approx(5, rel=0.1)


@pytest.mark.parametrize("key", ["nope", "logits", "flat", "conv.neurons"])
def test_per_layer_scale_naming_no_neuron_layer_raises(model, key):
    with pytest.raises(ConversionError, match=key.replace(".", r"\.")):
        snnconvert.convert(model, scale_firing_rates={key: 5})


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "10", True])
def test_scale_firing_rates_must_be_positive(model, bad):
    with pytest.raises(ValueError, match="scale_firing_rates"):
        snnconvert.convert(model, scale_firing_rates=bad)
    with pytest.raises(ValueError, match="scale_firing_rates"):
        snnconvert.convert(model, scale_firing_rates={"hidden": bad})
