"""Evaluates the test network under a distribution strategy and writes what it measured as JSON.

The tests run it in fresh processes, since devices must be configured before TensorFlow
starts them: ``python evaluate_worker.py {none,mirrored,multiworker} MODEL DATA OUTPUT``.
``mirrored`` splits the CPU into two logical devices; ``multiworker`` reads TF_CONFIG.
The tests also import it to compute the single-device reference in their own process.
"""

import json
import sys

import numpy as np

N_STEPS = 12
# Each scenario is one evaluation; together they cover uneven shards, a last batch of one
# sample (one replica gets none), windows carrying state, and per-sample seeded input spikes.
SCENARIOS = [
    {"initial_state": "uniform", "batch_size": 7, "chunk_steps": 5},
    {"initial_state": "zeros", "batch_size": 11},
    {"initial_state": "uniform", "batch_size": 8, "input_encoding": "poisson", "max_rate": 200,
     "readout": "mean"},
]


def evaluate_scenarios(model_path, data_path, strategy):
    """One JSON-ready record per scenario: accuracies, outputs and every spike count; and
    one of a plain run with a probe."""
    import snnconvert

    network = snnconvert.convert(str(model_path), scale_firing_rates=100, synapse={"hidden": 0.01})
    with np.load(data_path) as data:
        x, y = data["x"], data["y"]
    records = []
    for scenario in SCENARIOS:
        result = network.evaluate(x, y, N_STEPS, strategy=strategy, keep_outputs=True, progress=False,
                                  dt=0.005, jit_compile=False, **scenario)
        records.append({
            "accuracy": result.accuracy,
            "accuracy_per_step": result.accuracy_per_step.tolist(),
            "keras_accuracy": result.keras_accuracy,
            **_simulation_record(result.simulation),
        })
    run = network.run(x, N_STEPS, batch_size=9, probes=["conv"], strategy=strategy, progress=False, dt=0.005,
                      jit_compile=False)
    records.append({**_simulation_record(run), "probe": run.probes["conv"].tolist()})
    return records


def _simulation_record(simulation):
    return {
        "n_images": simulation.n_images,
        "spikes_per_layer": simulation.spikes_per_layer,
        "per_image": {name: a.per_image.tolist() for name, a in simulation.activity.items()},
        "per_neuron": {name: a.per_neuron.tolist() for name, a in simulation.activity.items()},
        "output": simulation.output.tolist(),
    }


def make_strategy(kind):
    import tensorflow as tf

    if kind == "none":
        return None
    if kind == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    if kind == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise SystemExit(f"unknown strategy {kind!r}")


def main(kind, model_path, data_path, output_path):
    strategy = make_strategy(kind)  # first: before anything starts TensorFlow's devices
    records = evaluate_scenarios(model_path, data_path, strategy)
    replicas = 1 if strategy is None else strategy.num_replicas_in_sync
    with open(output_path, "w") as file:
        json.dump({"replicas": replicas, "records": records}, file)


if __name__ == "__main__":
    main(*sys.argv[1:])
