"""Simulating each batch across the replicas of a ``tf.distribute.Strategy``.

Every batch is cut into contiguous shards, one per replica (sizes differ by at most one
sample). A replica left without samples (a batch smaller than the number of replicas)
simulates a stand-in sample whose results it drops, since the graph's ops are not built
for empty batches. Each shard starts from the state seeded by its own
samples' indices in the data, so the simulation of every sample is the one a single
device would run. Window after window, ``strategy.run`` simulates the shards, and the
strategy's collectives return to every replica the whole batch's outputs (gathered,
small: ``[batch, steps, classes]``) and spike totals (per image gathered, per neuron
summed).

With ``MultiWorkerMirroredStrategy`` every worker process runs the same program on the
same data: each reads every batch, simulates only its own replicas' shards, and takes
part in the same collectives, so every worker ends with the same full result.

Only the simulator's window interface is used (``start_batch``, ``windows``,
``window_function``; see :mod:`snnconvert.simulation.windows`), the same as its own
one-device runner uses.
"""

import numpy as np
import tensorflow as tf

from snnconvert.metrics.collection import BatchResult, SpikeTotals


def check_strategy(strategy):
    """``strategy`` if it spreads work over several replicas; ``None`` for no strategy or
    one replica, which run the single-device path unchanged."""
    if strategy is None:
        return None
    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            "`strategy` must be a tf.distribute.Strategy (e.g. tf.distribute.MirroredStrategy() or "
            "tf.distribute.MultiWorkerMirroredStrategy()) or None for one device. "
            f"Received: strategy={strategy!r} of type {type(strategy).__name__}."
        )
    return strategy if strategy.num_replicas_in_sync > 1 else None


def shard_bounds(size, n_replicas):
    """``[(start, stop)]`` per replica: contiguous slices of ``size`` samples, the first
    ``size % n_replicas`` replicas holding one sample more."""
    base, extra = divmod(size, n_replicas)
    bounds, start = [], 0
    for replica in range(n_replicas):
        stop = start + base + (replica < extra)
        bounds.append((start, stop))
        start = stop
    return bounds


class ReplicatedBatches:
    """Runs batches of a :class:`~snnconvert.simulation.Simulator` split across the
    replicas of ``strategy``; ``run_batch`` is a drop-in for the simulator's own, built
    on the simulator's window interface."""

    def __init__(self, simulator, strategy):
        self.simulator = simulator
        self.strategy = strategy
        self._compiled = {}

    def run_batch(self, batch, temporal, n_steps, probes, first_sample, sink=None):
        """The whole batch's :class:`BatchResult`, its spikes as ``counts``, on every worker;
        with a ``sink``, the gathered outputs go to it window by window and are not kept."""
        simulator, size = self.simulator, len(batch[0])
        bounds = shard_bounds(size, self.strategy.num_replicas_in_sync)
        shards = {}  # replica -> its shard's BatchStart

        def shard_start(context):
            """The shard's number of samples and initial states."""
            start, stop = bounds[context.replica_id_in_sync_group]
            simulated = (start, stop) if stop > start else (size - 1, size)  # a stand-in for no samples
            shard = [array[simulated[0]:simulated[1]] for array in batch]
            started = simulator.start_batch(shard, temporal, first_sample + start, probes)
            shards[context.replica_id_in_sync_group] = started
            return tf.constant(stop - start), (started.neuron_states, started.node_states)

        n_real, (neuron_states, node_states) = self._per_replica(shard_start)
        # whether each input varies over time, the same for every shard
        temporal = next(iter(shards.values())).temporal
        pieces = []
        # The windows a single device would use for the whole batch, so float32 rounding
        # across window boundaries is the same too.
        for start, steps in simulator.windows(size, n_steps):
            inputs = self._per_replica(
                lambda context: shards[context.replica_id_in_sync_group].window_inputs(start, steps)
            )
            step = self._compiled_window(steps, temporal, probes)
            gathered, per_neuron, neuron_states, node_states = step(n_real, inputs, neuron_states, node_states)
            # After the collectives every replica holds the same values: take the first local one.
            (outputs, *rest), per_neuron = tf.nest.map_structure(lambda value: value.numpy(),
                                                                 self._first_local((gathered, per_neuron)))
            if sink is not None:
                sink(outputs)
                outputs = {}
            pieces.append(((outputs, *rest), per_neuron))
        return _merge_windows(pieces)

    def _per_replica(self, value_fn):
        """Per-replica values from ``value_fn(context)``, made on each replica's device."""
        devices = self.strategy.extended.worker_devices

        def placed(context):
            # Replica ids count across workers; each worker holds the same number of devices.
            with tf.device(devices[context.replica_id_in_sync_group % len(devices)]):
                return value_fn(context)

        return self.strategy.experimental_distribute_values_from_function(placed)

    def _first_local(self, values):
        return tf.nest.map_structure(lambda value: self.strategy.experimental_local_results(value)[0], values)

    def _compiled_window(self, n_steps, temporal, probes):
        key = (n_steps, temporal, probes)
        if key not in self._compiled:
            simulate = self.simulator.window_function(n_steps, temporal, probes)

            def replica_window(n_real, inputs, neuron_states, node_states):
                outputs, activity, probed, neuron_states, node_states = simulate(inputs, neuron_states, node_states)
                # Only the first n_real samples are the shard's (none for a stand-in).
                outputs, activity, probed = tf.nest.map_structure(lambda value: value[:n_real],
                                                                  (outputs, activity, probed))
                per_image, per_neuron = _spike_totals(activity)
                context = tf.distribute.get_replica_context()
                gathered = context.all_gather((outputs, probed, per_image), axis=0)
                per_neuron = context.all_reduce(tf.distribute.ReduceOp.SUM, per_neuron)
                return gathered, per_neuron, neuron_states, node_states

            def window(*args):
                return self.strategy.run(replica_window, args=args)

            # One graph holds every local replica's window and the collectives between them.
            self._compiled[key] = tf.function(window, autograph=False)
        return self._compiled[key]


def _spike_totals(activity):
    """Spikes per image ``[shard]`` and per neuron, in float64 so sums of counts stay exact."""
    per_image, per_neuron = {}, {}
    for name, counts in activity.items():
        neurons = int(np.prod(counts.shape[1:]))
        flat = tf.reshape(tf.cast(counts, tf.float64), [-1, neurons])  # static width: shards may be empty
        per_image[name] = tf.reduce_sum(flat, axis=1)
        per_neuron[name] = tf.reduce_sum(flat, axis=0)
    return per_image, per_neuron


def _merge_windows(pieces):
    """The batch's :class:`BatchResult` from its windows, each ``((outputs, probed,
    per_image), per_neuron)``: outputs and probes joined along time, spikes summed."""
    outputs, probed, per_image, per_neuron = zip(*((*gathered, summed) for gathered, summed in pieces))
    totals = SpikeTotals(_summed(per_image), _summed(per_neuron))
    return BatchResult(_along_time(outputs), None, _along_time(probed), counts=totals)


def _along_time(windows):
    return {name: np.concatenate([window[name] for window in windows], axis=1) for name in windows[0]}


def _summed(windows):
    return {name: sum(window[name] for window in windows) for name in windows[0]}

