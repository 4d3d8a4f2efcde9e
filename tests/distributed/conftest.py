"""The test network, its data, the single-device reference, and a bounded way to run the
distributed evaluations in fresh processes (devices must be configured before
TensorFlow starts them, so strategies over several devices cannot run in this process)."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
WORKER = HERE / "evaluate_worker.py"
# The command line in a fresh process whose CPU is first split into two logical devices.
# It ends by printing how many batches were split across replicas, since the results
# alone cannot tell a split run from one that ignored the strategy.
SPLIT_CPU_THEN_RUN_CLI = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from snnconvert.cli.main import main
from snnconvert.simulation.distributed import ReplicatedBatches
split = []
run_batch = ReplicatedBatches.run_batch
def counted_run_batch(self, batch, *args):
    split.append((len(batch[0]), self.strategy.num_replicas_in_sync))
    return run_batch(self, batch, *args)
ReplicatedBatches.run_batch = counted_run_batch
code = main(sys.argv[1:])
print("batches split across replicas (samples, replicas):", split)
sys.exit(code)
"""


@pytest.fixture(scope="session")
def tiny(tmp_path_factory, make_convnet):
    """The model saved as ``.keras`` and 23 images in [0, 1] with labels in ``.npz``
    (23: batches of 7, 8 and 11 all leave a short last batch). Labels are the model's
    predictions with every fifth one changed."""
    folder = tmp_path_factory.mktemp("distributed")
    # the shared small CNN with a pooling layer, so that pooling runs distributed too
    model = make_convnet(hidden=10, pool=True, hidden_std=0.3, logits_std=1.0)
    model.save(folder / "tiny.keras")
    x = np.random.default_rng(3).uniform(0, 1, (23, 6, 6, 1)).astype(np.float32)
    y = np.asarray(model(x)).argmax(axis=1)
    y[::5] = (y[::5] + 1) % 3
    np.savez(folder / "data.npz", x=x, y=y)
    return types.SimpleNamespace(model_path=folder / "tiny.keras", data_path=folder / "data.npz", folder=folder)


@pytest.fixture(scope="session")
def worker_module():
    spec = importlib.util.spec_from_file_location("evaluate_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def reference(tiny, worker_module):
    """The scenarios evaluated on one device, in this process (through JSON, as the workers' are)."""
    return json.loads(json.dumps(worker_module.evaluate_scenarios(tiny.model_path, tiny.data_path, None)))


@pytest.fixture(scope="session")
def assert_same_as_reference(reference):
    def check(records):
        assert len(records) == len(reference)
        for got, expected in zip(records, reference):
            assert got.keys() == expected.keys()
            assert sum(expected["spikes_per_layer"].values()) > 1000  # the comparison is not of silence
            for key, value in expected.items():
                if key in ("output", "probe"):  # floats, from a different batch composition
                    np.testing.assert_allclose(got[key], value, rtol=1e-6, atol=1e-6, err_msg=key)
                else:
                    assert got[key] == value, key

    return check


@pytest.fixture
def free_ports():
    """``free_ports(count)``: ports free on the loopback interface now (bound to port 0,
    then released for the processes to bind)."""
    return _free_ports


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture
def run_cli_on_two_cpus(run_processes):
    """``run(args)``: ``snnconvert *args`` in a fresh process with two logical CPUs; returns
    its output, after checking that it succeeded. The output ends with the list of
    ``(samples, replicas)`` of every batch split across replicas."""
    def run(args, timeout=180):
        [(returncode, log)] = run_processes([["-c", SPLIT_CPU_THEN_RUN_CLI, *map(str, args)]], [{}], timeout)
        assert returncode == 0, log[-3000:]
        return log

    return run


@pytest.fixture
def run_processes(tmp_path):
    """``run(commands, envs, timeout)``: start every command at once, wait for all (at most
    ``timeout`` seconds in total), and return ``[(returncode, output)]``. Every process
    still running on the way out (timeout, failure) is killed."""
    started = []

    def run(commands, envs, timeout):
        logs = [tmp_path / f"process{index}.log" for index in range(len(commands))]
        for command, extra_env, log in zip(commands, envs, logs):
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO_ROOT), **extra_env}
            with open(log, "w") as file:
                started.append(subprocess.Popen([sys.executable, *command], cwd=REPO_ROOT, env=env,
                                                stdout=file, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        try:
            for process in started:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            tails = "\n----\n".join(log.read_text()[-3000:] for log in logs)
            pytest.fail(f"processes still running after {timeout} s; their last output:\n{tails}")
        return [(process.returncode, log.read_text()) for process, log in zip(started, logs)]

    try:
        yield run
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()

