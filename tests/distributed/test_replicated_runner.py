"""The replicated batch runner, in this process: on a one-replica MirroredStrategy (which
``iterate`` itself would send down the one-device path) it must return, batch by batch,
what the simulator's own runner returns, since both drive the same window interface."""

import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.metrics.collection import SpikeTotals
from snnconvert.simulation.distributed import ReplicatedBatches

N_STEPS = 12


@pytest.fixture(scope="module")
def network(tiny):
    return snnconvert.convert(str(tiny.model_path), scale_firing_rates=100, synapse={"hidden": 0.01})


@pytest.fixture(scope="module")
def images(tiny):
    with np.load(tiny.data_path) as archive:
        return archive["x"]


@pytest.mark.parametrize("options", [
    {"initial_state": "uniform", "chunk_steps": 5},  # state carried across windows, seeded per sample
    {"initial_state": "zeros", "input_encoding": "poisson", "max_rate": 200},  # input drawn window by window
], ids=["uniform-windows", "poisson"])
def test_one_replica_runner_returns_the_simulators_batches(network, images, options):
    simulator = network.simulator(dt=0.005, jit_compile=False, **options)
    replicated = ReplicatedBatches(simulator, tf.distribute.MirroredStrategy(["/cpu:0"]))
    expected_batches = list(simulator.iterate(images, N_STEPS, batch_size=8, probes=["conv"], progress=False))
    first_sample = 0
    for expected in expected_batches:
        got = replicated.run_batch(expected.inputs, (False,), N_STEPS, ("conv",), first_sample)
        first_sample += expected.size
        assert got.activity is None and expected.counts is None
        np.testing.assert_allclose(got.outputs["logits"], expected.outputs["logits"], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got.probes["conv"], expected.probes["conv"], rtol=1e-6, atol=1e-6)
        totals = SpikeTotals.of(expected.activity)
        assert sum(total.sum() for total in totals.per_image.values()) > 100  # not a comparison of silence
        for name in totals.per_image:
            np.testing.assert_array_equal(got.counts.per_image[name], totals.per_image[name])
            np.testing.assert_array_equal(got.counts.per_neuron[name], totals.per_neuron[name])
    assert first_sample == len(images)
