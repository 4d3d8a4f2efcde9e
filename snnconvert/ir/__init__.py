"""Backend-neutral description of a spiking network (numpy weights, no TensorFlow)."""

from snnconvert.ir.graph import SpikingGraph
from snnconvert.ir.nodes import (
    AddNode,
    AffineNode,
    AveragePool2DNode,
    ConcatenateNode,
    Conv2DNode,
    DenseNode,
    GlobalAveragePool2DNode,
    InputNode,
    NeuronNode,
    Node,
    ReshapeNode,
    SynapseNode,
)
from snnconvert.ir.passes import defer_synapses, fold_affine_into_linear

__all__ = [
    "AddNode",
    "AffineNode",
    "AveragePool2DNode",
    "ConcatenateNode",
    "Conv2DNode",
    "DenseNode",
    "GlobalAveragePool2DNode",
    "InputNode",
    "NeuronNode",
    "Node",
    "ReshapeNode",
    "SpikingGraph",
    "SynapseNode",
    "defer_synapses",
    "fold_affine_into_linear",
]
