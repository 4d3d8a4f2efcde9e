"""Helpers of the report tests: hand-built spiking graphs and tiny Keras models.

Graphs are built directly from IR nodes (numpy only), so every connection count can be
worked out by hand; Keras models are kept tiny and session-scoped, since building one
is the slow part.
"""

import keras
import numpy as np

from snnconvert.ir import NeuronNode, SpikingGraph, SynapseNode
from snnconvert.neurons import as_neuron_type
from snnconvert.synapses import Lowpass


def neurons(name, source, shape, gain=1.0):
    """A spiking population named ``name`` reading ``source``."""
    return NeuronNode(name=name, inputs=(source,), shape=tuple(shape), source=name.split(".")[0],
                      neuron_type=as_neuron_type("spiking"), gain=gain, amplitude=1.0 / gain)


def synapse(name, source, shape, tau=0.005):
    return SynapseNode(name=name, inputs=(source,), shape=tuple(shape), source=name.split(".")[0],
                       synapse=Lowpass(tau))


def graph(nodes, outputs):
    return SpikingGraph(nodes, outputs)


def hidden_mlp():
    """``x(6) -> h1 Dense 5 relu -> h2 Dense 4 relu -> out Dense 3``, fixed weights.

    Inputs, weights and biases are positive enough that both hidden layers fire at a
    scale of a few hundred; some weights are exactly zero so that fan-outs differ from
    the layer widths: rows 1 and 3 of h2's kernel have one zero each, row 2 of out's
    kernel is all zeros and row 0 has one zero.
    """
    inp = keras.Input((6,), name="x")
    h1 = keras.layers.Dense(5, activation="relu", name="h1")(inp)
    h2 = keras.layers.Dense(4, activation="relu", name="h2")(h1)
    out = keras.layers.Dense(3, name="out")(h2)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(3)
    k1 = rng.uniform(0.0, 1.0, (6, 5)).astype(np.float32)
    k2 = rng.uniform(-0.2, 0.8, (5, 4)).astype(np.float32)
    k2[1, 2] = 0.0
    k2[3, 0] = 0.0
    k3 = rng.normal(0.0, 1.0, (4, 3)).astype(np.float32)
    k3[2, :] = 0.0
    k3[0, 1] = 0.0
    model.get_layer("h1").set_weights([k1, np.full(5, 0.1, np.float32)])
    model.get_layer("h2").set_weights([k2, np.full(4, 0.2, np.float32)])
    model.get_layer("out").set_weights([k3, np.array([0.0, 0.1, -0.1], np.float32)])
    return model
