"""MirroredStrategy: each batch split across two logical CPUs gives the one-device result."""

import json

import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.simulation.distributed import shard_bounds


def test_two_cpu_replicas_give_the_single_device_result(tiny, run_processes, assert_same_as_reference):
    output = tiny.folder / "mirrored.json"
    command = ["tests/distributed/evaluate_worker.py", "mirrored", str(tiny.model_path), str(tiny.data_path),
               str(output)]
    [(returncode, log)] = run_processes([command], [{}], timeout=180)
    assert returncode == 0, log[-3000:]
    measured = json.loads(output.read_text())
    assert measured["replicas"] == 2
    assert_same_as_reference(measured["records"])


@pytest.mark.parametrize(("size", "replicas", "expected"), [
    (7, 2, [(0, 4), (4, 7)]),
    (1, 2, [(0, 1), (1, 1)]),
    (10, 4, [(0, 3), (3, 6), (6, 8), (8, 10)]),
])
def test_shards_are_contiguous_and_differ_by_at_most_one_sample(size, replicas, expected):
    assert shard_bounds(size, replicas) == expected


@pytest.fixture(scope="module")
def network(tiny):
    return snnconvert.convert(str(tiny.model_path), scale_firing_rates=100)


@pytest.fixture(scope="module")
def data(tiny):
    with np.load(tiny.data_path) as archive:
        return archive["x"], archive["y"]


@pytest.mark.parametrize("strategy", ["mirrored", tf.distribute.MirroredStrategy, object()])
def test_anything_but_a_strategy_is_refused_by_name(network, data, strategy):
    with pytest.raises(TypeError, match=r"`strategy` must be a tf.distribute.Strategy.*Received: strategy="):
        network.evaluate(*data, 4, strategy=strategy, progress=False)


@pytest.mark.parametrize("strategy", [tf.distribute.get_strategy(), tf.distribute.OneDeviceStrategy("/cpu:0")])
def test_a_one_replica_strategy_runs_the_single_device_path(network, data, strategy):
    simulator = network.simulator(dt=0.005, jit_compile=False)
    plain = list(simulator.iterate(data[0], 6, batch_size=10, progress=False))
    under_strategy = list(simulator.iterate(data[0], 6, batch_size=10, progress=False, strategy=strategy))
    assert [batch.counts for batch in under_strategy] == [None] * 3  # per-neuron activity, not replica totals
    for got, expected in zip(under_strategy, plain):
        np.testing.assert_array_equal(got.outputs["logits"], expected.outputs["logits"])
        for name, counts in expected.activity.items():
            np.testing.assert_array_equal(got.activity[name], counts)
