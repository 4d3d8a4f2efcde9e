"""``evaluate --strategy`` and ``sweep --strategy``: the ``tf.distribute`` strategy a name stands for, and the
check of ``TF_CONFIG`` that several machines need (see docs/distributed.md)."""

import json
import os

STRATEGIES = ("default", "mirrored", "multiworker")

_HOW_TO_SET_TF_CONFIG = (
    "Set TF_CONFIG on every machine to the same cluster and that machine's own task, e.g. "
    '\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}\' '
    "(see docs/distributed.md)."
)


def make_strategy(name):
    """``(strategy or None, replicas)`` for ``--strategy name``, announced on one line.

    Call it before anything else runs TensorFlow ops: a multi-worker strategy must be
    created first.
    """
    if name == "default":
        return None, 1
    import tensorflow as tf  # only here: the default strategy starts no TensorFlow work early

    if name == "multiworker":
        index, n_workers = check_tf_config(os.environ.get("TF_CONFIG", ""))
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        where = f"worker {index} of {n_workers}, on {', '.join(strategy.extended.worker_devices)}"
    else:
        # Every GPU; without GPUs, the CPU (as many logical CPUs as were configured).
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([device.name for device in devices])
        where = ", ".join(strategy.extended.worker_devices)
    print(f"strategy {name}: {strategy.num_replicas_in_sync} replica(s); this process: {where}")
    return strategy, strategy.num_replicas_in_sync


def check_tf_config(text):
    """``(this worker's index, number of workers)`` from the TF_CONFIG value ``text``.

    Refuses, saying what to set, what MultiWorkerMirroredStrategy would otherwise run
    as one lone worker (no TF_CONFIG) or fail on deep inside TensorFlow.
    """
    text = text.strip()
    if not text:
        raise ValueError(
            f"--strategy multiworker needs the TF_CONFIG environment variable, which is not set. "
            f"{_HOW_TO_SET_TF_CONFIG}"
        )
    try:
        config = json.loads(text)
        workers, task = config["cluster"]["worker"], config["task"]
        index, kind = task["index"], task.get("type", "worker")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            f"TF_CONFIG must be JSON with cluster.worker and task.index ({error!r}). {_HOW_TO_SET_TF_CONFIG}"
        ) from None
    if "chief" in config["cluster"] or kind != "worker":
        raise ValueError(
            f"TF_CONFIG's cluster must list every machine under cluster.worker, and its task must be one of those "
            f"workers (no 'chief' or other task types). Received: cluster={config['cluster']}, task={task}. "
            f"{_HOW_TO_SET_TF_CONFIG}"
        )
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(workers):
        raise ValueError(
            f"TF_CONFIG's task.index must be an integer from 0 to {len(workers) - 1} (cluster.worker lists "
            f"{len(workers)}). Received: task={task}. {_HOW_TO_SET_TF_CONFIG}"
        )
    return index, len(workers)
