"""Backend-neutral description of a spiking network (numpy weights, no TensorFlow)."""

from snnconvert.ir.graph import SpikingGraph
from snnconvert.ir.nodes import (
    AddNode,
    AffineNode,
    AveragePool2DNode,
    ConcatenateNode,
    Conv1DNode,
    Conv2DNode,
    Crop2DNode,
    DenseNode,
    DepthwiseConv2DNode,
    GlobalAveragePool2DNode,
    InputNode,
    NeuronNode,
    Node,
    PermuteNode,
    ReshapeNode,
    SynapseNode,
    UpSample2DNode,
    ZeroPad2DNode,
)
from snnconvert.ir.passes import defer_synapses, fold_affine_into_linear

__all__ = [
    "AddNode",
    "AffineNode",
    "AveragePool2DNode",
    "ConcatenateNode",
    "Conv1DNode",
    "Conv2DNode",
    "Crop2DNode",
    "DenseNode",
    "DepthwiseConv2DNode",
    "GlobalAveragePool2DNode",
    "InputNode",
    "NeuronNode",
    "Node",
    "PermuteNode",
    "ReshapeNode",
    "SpikingGraph",
    "SynapseNode",
    "UpSample2DNode",
    "ZeroPad2DNode",
    "defer_synapses",
    "fold_affine_into_linear",
]
