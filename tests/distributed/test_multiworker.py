"""MultiWorkerMirroredStrategy: two worker processes on localhost, one CPU replica each;
every worker returns the whole single-device result."""

import json


def test_two_workers_each_return_the_single_device_result(tiny, run_processes, free_ports,
                                                          assert_same_as_reference):
    workers = [f"localhost:{port}" for port in free_ports(2)]
    outputs = [tiny.folder / f"worker{index}.json" for index in range(2)]
    commands = [["tests/distributed/evaluate_worker.py", "multiworker", str(tiny.model_path), str(tiny.data_path),
                 str(output)] for output in outputs]
    envs = [{"TF_CONFIG": json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})}
            for index in range(2)]
    finished = run_processes(commands, envs, timeout=240)
    for returncode, log in finished:
        assert returncode == 0, log[-3000:]
    for output in outputs:
        measured = json.loads(output.read_text())
        assert measured["replicas"] == 2
        assert_same_as_reference(measured["records"])
