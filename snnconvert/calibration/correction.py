"""Layer-by-layer bias correction of a spiking network on calibration data.

A spiking population's mean output drifts from the ANN's activation in ways a scale
cannot fix: a neuron whose integrated input rose and then fell has spent spikes it
cannot take back, a max-pool gate picks a unit by its input so far, quantisation
rounds counts. Averaged over many samples that drift is a per-channel offset, and
an offset is what a bias can cancel.

So, from the first population to the last: run the (already corrected) spiking
network on the calibration data, compare each channel's mean output over the run
with the ANN's mean activation, and add the difference to the bias of the layer that
feeds the population (or to an offset node before it, for a merge). Later layers
are measured after earlier ones are corrected, so each correction sees the inputs
it will get. Only means are matched; a sample's own error stays.
"""

import dataclasses

import numpy as np

from snnconvert.ir import AffineNode, WeightedNode
from snnconvert.simulation import Simulator

DEFAULT_CORRECTION_STEPS = 16
DEFAULT_CORRECTION_SAMPLES = 200


def correct_biases(graph, x, reference, *, n_steps=DEFAULT_CORRECTION_STEPS, dt=0.001, batch_size=100):
    """``(corrected graph, {population: per-channel offset added})``.

    Args:
        graph: the spiking graph (scaled, spiking populations).
        x: calibration inputs ``[n, *shape]``.
        reference: population name -> the ANN's mean activation per channel on ``x``
            (see :func:`channel_means`, run on the graph's rate twin for one step).
        n_steps: steps each measuring run lasts; the drift corrected is that of a run
            this long.
    """
    corrections = {}
    for population in [node.name for node in graph.neuron_nodes if node.spiking]:
        measured = channel_means(graph, x, [population], n_steps, dt=dt, batch_size=batch_size)[population]
        offset = (reference[population] - measured).astype(np.float32)
        corrections[population] = offset
        graph = shift_input(graph, population, offset)
    return graph, corrections


def channel_means(graph, x, populations, n_steps, *, dt=0.001, batch_size=100):
    """Population name -> its output averaged over samples, steps and positions, per
    channel (the last axis), for the network ``graph`` run on ``x``."""
    sums = {name: 0.0 for name in populations}
    counts = dict.fromkeys(populations, 0)
    simulator = Simulator(graph, dt=dt)
    for batch in simulator.iterate(x, n_steps, batch_size=batch_size, probes=tuple(populations), progress=False):
        for name in populations:
            values = np.asarray(batch.probes[name], np.float64)
            channels = values.shape[-1]
            flat = values.reshape(-1, channels)
            sums[name] = sums[name] + flat.sum(axis=0)
            counts[name] += flat.shape[0]
    return {name: np.asarray(sums[name] / counts[name]) for name in populations}


def shift_input(graph, population, offset):
    """``graph`` with ``offset`` (per channel) added to the current of ``population``:
    to the bias of the Dense/Conv or the offset of the affine node that feeds it alone,
    or else in a new affine node ``<population>.correction`` before it."""
    node = graph[population]
    producer = graph[node.inputs[0]]
    alone = len(graph.consumers(producer.name)) == 1 and producer.name not in graph.outputs
    if alone and isinstance(producer, WeightedNode):
        bias = producer.bias if producer.bias is not None else np.zeros(producer.shape[-1], np.float32)
        return _replaced(graph, dataclasses.replace(producer, bias=(bias + offset).astype(np.float32)))
    if alone and isinstance(producer, AffineNode):
        return _replaced(graph, dataclasses.replace(producer, offset=(producer.offset + offset).astype(np.float32)))
    correction = AffineNode(name=f"{population}.correction", inputs=node.inputs, shape=producer.shape,
                            source=node.source, scale=np.ones_like(offset), offset=offset)
    nodes = []
    for current in graph:
        if current is node:
            nodes.extend([correction, dataclasses.replace(node, inputs=(correction.name,))])
        else:
            nodes.append(current)
    return graph.replace(nodes)


def _replaced(graph, new):
    return graph.replace([new if node.name == new.name else node for node in graph])

