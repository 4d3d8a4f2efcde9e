"""The hand-worked two-neuron chain, run through the public API.

``inp = 1 -> A (weight 1, relu) -> B (weight 2, relu)``, dt = 0.1, v0 = 0.

* s = 10: A's gain is 10, so v grows by 10 * 1 * 0.1 = 1 per step: one spike per step,
  worth amplitude / dt = 0.1 / 0.1 = 1. B gets 2 * 1 * 10 = 20 -> 2 spikes per step,
  output 2 * 0.1 / 0.1 = 2.
* s = 5: A's v grows 0.5 per step: a spike every second step, worth 0.2 / 0.1 = 2.
  B's current on those steps is 5 * 2 * 2 = 20 -> 2 spikes, output 2 * 0.2 / 0.1 = 4.
* s = 1: A's v grows 0.1 per step: a spike at steps 10, 20, ..., worth 1 / 0.1 = 10.
  B's current then is 2 * 10 = 20 -> 2 spikes, output 20; zero elsewhere.
"""

import numpy as np
import pytest

import snnconvert
from snnconvert.simulation import simulator as simulator_module

DT = 0.1
PROBES = ["A.neurons", "B.neurons"]


def _expected(scale, n_steps, initial_state="zeros"):
    """(A output, B output, A spikes, B spikes) per step, worked by hand (see module doc)."""
    steps = np.arange(1, n_steps + 1)
    if scale == 10:
        return np.ones(n_steps), np.full(n_steps, 2.0), np.ones(n_steps), np.full(n_steps, 2.0)
    if scale == 5:
        fire = steps % 2 == 0
        return fire * 2.0, fire * 4.0, fire * 1.0, fire * 2.0
    if scale == 1:
        # From v0 = 0 the first spike is at step 10; from v0 = 0.5 at step 5.
        fire = steps % 10 == (0 if initial_state == "zeros" else 5)
        return fire * 10.0, fire * 20.0, fire * 1.0, fire * 2.0
    raise AssertionError(scale)


def _run(model, scale, n_steps, **options):
    net = snnconvert.convert(model, scale_firing_rates=scale)
    options.setdefault("initial_state", "zeros")
    return net.run(np.ones((1, 1)), n_steps, dt=DT, probes=PROBES, progress=False, **options)


@pytest.mark.parametrize("scale", [10, 5, 1])
def test_chain_outputs_per_step(chain_model, scale):
    n_steps = 30
    result = _run(chain_model, scale, n_steps)
    a_out, b_out, a_spikes, b_spikes = _expected(scale, n_steps)
    np.testing.assert_array_equal(result.probes["A.neurons"][0, :, 0], a_out)
    np.testing.assert_array_equal(result.probes["B.neurons"][0, :, 0], b_out)
    # The graph outputs are the same nodes as the probes.
    assert set(result.outputs) == {"A.neurons", "B.neurons"}
    for name in PROBES:
        assert result.outputs[name].shape == (1, n_steps, 1)
        np.testing.assert_array_equal(result.outputs[name], result.probes[name])
    # Exact spike counts, straight from the neurons.
    assert result.spikes_per_layer == {"A": int(a_spikes.sum()), "B": int(b_spikes.sum())}
    assert isinstance(result.spikes_per_layer["A"], int)


def test_chain_scale_10_spike_counts_over_20_steps(chain_model):
    result = _run(chain_model, 10, 20)
    assert result.spikes_per_layer == {"A": 20, "B": 40}
    assert result.total_spikes == 60
    assert result.activity["A"].per_image.tolist() == [20]
    assert result.activity["B"].per_neuron.tolist() == [40]
    np.testing.assert_allclose(result.activity["A"].rates_hz, [10.0])  # 20 spikes / 2 s
    np.testing.assert_allclose(result.activity["B"].rates_hz, [20.0])


@pytest.mark.parametrize("scale", [10, 5, 1])
def test_chain_time_average_equals_rate(chain_model, scale):
    result = _run(chain_model, scale, 10)
    assert result.probes["A.neurons"].mean() == pytest.approx(1.0)
    assert result.probes["B.neurons"].mean() == pytest.approx(2.0)
    # Independent of the scale, 10 steps of 0.1 s at 1 (resp. 2) spike-units per second.
    expected_spikes = {10: (10, 20), 5: (5, 10), 1: (1, 2)}[scale]
    assert (result.spikes_per_layer["A"], result.spikes_per_layer["B"]) == expected_spikes


def test_chain_half_initial_state(chain_model):
    # v0 = 0.5 and +0.1 per step: A first reaches 1 at step 5, then every 10 steps.
    result = _run(chain_model, 1, 30, initial_state="half")
    a_out, b_out, a_spikes, b_spikes = _expected(1, 30, initial_state="half")
    np.testing.assert_array_equal(result.probes["A.neurons"][0, :, 0], a_out)
    # B: v0 = 0.5, gets 2 per spike of A -> 2.5 -> 2 spikes, back to 0.5.
    np.testing.assert_array_equal(result.probes["B.neurons"][0, :, 0], b_out)
    assert result.spikes_per_layer == {"A": 3, "B": 6}


def test_chain_rate_mode_is_constant(chain_model):
    net = snnconvert.convert(chain_model, scale_firing_rates=5, neuron_type="rate")
    result = net.run(np.ones((1, 1)), 7, dt=DT, probes=PROBES, progress=False)
    np.testing.assert_allclose(result.probes["A.neurons"][0, :, 0], np.ones(7), rtol=1e-6)
    np.testing.assert_allclose(result.probes["B.neurons"][0, :, 0], np.full(7, 2.0), rtol=1e-6)
    # Rate populations report the expected spikes: gain * J * dt per step (5 * 1 * 0.1 * 7).
    assert result.spikes_per_layer["A"] == pytest.approx(3.5)
    assert result.spikes_per_layer["B"] == pytest.approx(7.0)


@pytest.mark.parametrize("chunk_steps", [None, 1, 3, 7, 30])
def test_chain_chunking_does_not_change_a_spike(chain_model, chunk_steps):
    """J * dt = 0.1 lands exactly on the threshold at steps 10, 20, 30: a window split
    (e.g. 7 + 7 + 7 + 7 + 2) must not move or lose any of those spikes."""
    n_steps = 30
    result = _run(chain_model, 1, n_steps, chunk_steps=chunk_steps)
    a_out, b_out, _, _ = _expected(1, n_steps)
    np.testing.assert_array_equal(result.probes["A.neurons"][0, :, 0], a_out)
    np.testing.assert_array_equal(result.probes["B.neurons"][0, :, 0], b_out)
    assert result.spikes_per_layer == {"A": 3, "B": 6}


@pytest.mark.parametrize("scale", [10, 5])
@pytest.mark.parametrize("chunk_steps", [1, 3, 7])
def test_chain_chunking_exact_other_scales(chain_model, scale, chunk_steps):
    n_steps = 30
    result = _run(chain_model, scale, n_steps, chunk_steps=chunk_steps)
    a_out, b_out, _, _ = _expected(scale, n_steps)
    np.testing.assert_array_equal(result.probes["A.neurons"][0, :, 0], a_out)
    np.testing.assert_array_equal(result.probes["B.neurons"][0, :, 0], b_out)


def test_chain_batch_size_does_not_change_spikes_under_automatic_chunking(chain_model, monkeypatch):
    """With chunk_steps=None the window length depends on the batch size
    (``_CHUNK_BUDGET // (batch * largest node)``), so window splits must be exact.
    """
    # Shrink the memory budget so that a tiny network is chunked as a large one would be:
    # batch_size=2 then gets 7-step windows, batch_size=1 a 14-step window.
    monkeypatch.setattr(simulator_module, "_CHUNK_BUDGET", 14)
    net = snnconvert.convert(chain_model, scale_firing_rates=1)
    x = np.ones((2, 1))
    results = [
        net.run(x, 30, dt=DT, initial_state="zeros", batch_size=b, probes=PROBES, progress=False)
        for b in (1, 2)
    ]
    for result in results:
        assert result.spikes_per_layer == {"A": 6, "B": 12}
    np.testing.assert_array_equal(results[0].probes["A.neurons"], results[1].probes["A.neurons"])
