"""Export of the spiking graph to NIR, the Neuromorphic Intermediate Representation.

NIR (the ``nir`` package) describes a network as continuous-time nodes joined by edges;
Norse, snnTorch, Sinabs, Lava and Rockpool read it. See ``docs/export.md`` for the
mapping and the conventions, in short:

* NIR tensors are channels first (``[channels, *spatial]``), snnconvert's channels last.
  Every exported value remembers, for each element of its NIR tensor, which element of
  the snnconvert value it holds (``_Value.index``); weights are gathered through that
  index, so a flatten of a ``[C, H, W]`` tensor feeds the next dense layer the same
  products as snnconvert's ``[H, W, C]`` flatten.
* A spiking ReLU population becomes ``nir.IF(r=gain, v_threshold=1, v_reset=0)``; its
  spike amplitude, when not 1, becomes a ``nir.Scale`` node after it. Where weights
  can take them, both factors are folded into the weights instead (``r = 1``, no
  ``Scale``), which more NIR importers read; see ``nir_scales``.
* A LIF population (without refractory period) becomes ``nir.LIF`` with
  ``tau = tau_rc / gain``; see ``nir_neurons``.
* A low-pass synapse becomes ``nir.LI(tau, r=1, v_leak=0)``.

``nir`` is an optional dependency, imported only when an export runs.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import numpy as np

from snnconvert.errors import ExportError
from snnconvert.export import nir_merging, nir_neurons, nir_pooling
from snnconvert.export.base import Exporter, export, register_exporter
from snnconvert.export.nir_scales import ScaleFolding, plan_scale_folding
from snnconvert.ir import (
    AddNode,
    AffineNode,
    AveragePool1DNode,
    AveragePool2DNode,
    ConcatenateNode,
    ConvolutionNode,
    DenseNode,
    GlobalAveragePool1DNode,
    GlobalAveragePool2DNode,
    InputNode,
    MaxPoolNode,
    NeuronNode,
    PermuteNode,
    ReshapeNode,
    SpikingGraph,
    SynapseNode,
)
from snnconvert.ir.geometry import same_padding
from snnconvert.synapses import Lowpass

__all__ = ["ExportError", "NirExporter", "export_nir", "to_nir"]


def _import_nir() -> Any:
    try:
        import nir
    except ImportError as error:
        raise ImportError(
            'Exporting to NIR needs the `nir` package: pip install "snnconvert[nir]" (or pip install nir).'
        ) from error
    return nir


def export_nir(network: Any, path: str | os.PathLike[str], *, fold_scales: bool = True) -> Any:
    """Write ``network`` (a :class:`~snnconvert.SpikingNetwork` or its ``graph``) to
    the NIR file ``path`` (HDF5); returns the ``nir.NIRGraph`` written.

    ``fold_scales`` (default) folds each population's gain and spike amplitude into the
    neighbouring weights where they can take them, the form every importer reads;
    ``False`` writes NIR's literal form instead, the gain as the ``IF``'s ``r`` and the
    amplitude as a ``Scale`` node after it, with the weights as in Keras.

    Raises :class:`ExportError` naming the first node (and its Keras layer) that NIR
    cannot express.
    """
    return export(network, path, "nir", fold_scales=fold_scales)


def to_nir(network: Any, *, fold_scales: bool = True) -> Any:
    """The ``nir.NIRGraph`` of ``network`` (a ``SpikingNetwork`` or a ``SpikingGraph``);
    ``fold_scales`` as for :func:`export_nir`."""
    builder = NirExporter(getattr(network, "graph", network), fold_scales=fold_scales)
    builder.translate()
    return builder.nir_graph()


Sources = str | tuple[str, ...]


@dataclasses.dataclass
class _Value:
    """Where an IR value lives in the NIR graph: the NIR node producing it (or a tuple
    of nodes, whose outputs NIR sums wherever they meet) and, for each element of that
    output tensor, the row-major position of the element of the IR value it holds
    (``index`` has the NIR tensor's shape)."""

    nir_name: Sources
    index: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.index.shape)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.nir_name if isinstance(self.nir_name, tuple) else (self.nir_name,)


def _channels_first(shape):
    """Positions of a channels-last tensor of ``shape`` laid out channels first."""
    positions = np.arange(math.prod(shape)).reshape(shape)
    return np.moveaxis(positions, -1, 0) if len(shape) > 1 else positions


def _in_layout(values, index):
    """``values`` (the IR value's shape, or broadcastable to it) rearranged as ``index``."""
    return np.asarray(values).reshape(-1)[index]


def _ungrouped(weight, groups):
    """A grouped convolution's weight ``[out, in / groups, *window]`` as the equivalent
    ``groups = 1`` weight ``[out, in, *window]``, zero outside each group's block.

    ``nir`` takes a convolution's input channels from ``weight.shape[1]`` whatever its
    ``groups``, and a file cannot leave ``input_shape`` unset, so a grouped node fails
    ``nir.read``'s type check (docs/export.md); the block-diagonal weight computes the
    same sums and every reader takes it."""
    if groups == 1:
        return weight
    out_channels, in_per_group = weight.shape[:2]
    out_per_group = out_channels // groups
    full = np.zeros((out_channels, in_per_group * groups, *weight.shape[2:]), weight.dtype)
    for group in range(groups):
        rows = slice(group * out_per_group, (group + 1) * out_per_group)
        full[rows, group * in_per_group:(group + 1) * in_per_group] = weight[rows]
    return full


@register_exporter
class NirExporter(Exporter):
    """The NIR exporter: ``rules`` below, with those of ``nir_neurons``, ``nir_pooling``
    and ``nir_merging``, which use the helpers here."""

    format_name = "NIR"
    suffixes = (".nir",)

    def __init__(self, graph: SpikingGraph, *, fold_scales: bool = True) -> None:
        super().__init__(graph)
        self.nir = _import_nir()
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self.fold_scales = fold_scales
        self.folding = plan_scale_folding(graph) if fold_scales else ScaleFolding()

    def nir_graph(self) -> Any:
        return self.nir.NIRGraph(nodes=self.nodes, edges=self.edges)

    def write(self, path: str | os.PathLike[str]) -> Any:
        graph = self.nir_graph()
        self.nir.write(str(path), graph)
        return graph

    # ------------------------------------- helpers, shared with the rules in nir_neurons, nir_pooling, nir_merging

    def emit(self, name: str, nir_node: Any, source: Sources | None = None) -> str:
        """Add ``nir_node`` as ``name``, fed by ``source`` (a node, or several to sum)."""
        name = name.replace("/", "_")
        if name in self.nodes:
            raise ExportError(f"Two NIR nodes would be named {name!r}; rename the Keras layer.")
        self.nodes[name] = nir_node
        if source is not None:
            for each in (source if isinstance(source, tuple) else (source,)):
                self.edges.append((each, name))
        return name

    def channels_first_value(self, nir_name, ir_shape):
        """A value that NIR holds as the channels-first layout of the IR shape ``ir_shape``."""
        return _Value(nir_name, _channels_first(ir_shape))

    def spatial_input(self, node, rank):
        """The node's input, which must be a channels-first NIR tensor with ``rank`` spatial axes."""
        self.single_input(node)
        return self.channels_first_input(node, node.inputs[0], rank)

    def channels_first_input(self, node, name, rank):
        """Input ``name`` of ``node``, which must reach NIR as a channels-first tensor with
        ``rank`` spatial axes (``rank = 0``: a flat tensor, in any order)."""
        value = self.values[name]
        ir_shape = self.graph[name].shape
        in_order = value.index.ndim == 1 if rank == 0 else np.array_equal(value.index, _channels_first(ir_shape))
        if len(ir_shape) != rank + 1 or not in_order:
            raise self.refuse(
                node, f"its input {name!r} is not a channels-last tensor with {rank} spatial axes "
                "that NIR can lay out channels first.",
            )
        return value

    # -------------------------------------------------------------- nodes

    def _input(self, node):
        consumers = self.graph.consumers(node.name)
        # channels_first data enters through a PermuteNode: keep it in the order given
        if consumers and all(isinstance(c, PermuteNode) for c in consumers):
            index = np.arange(node.size).reshape(node.shape)
        else:
            index = _channels_first(node.shape)
        name = self.emit(node.name, self.nir.Input(input_type=np.array(index.shape)))
        return _Value(name, index)

    def _permute(self, node):
        value = self.single_input(node)
        in_shape = self.graph[node.inputs[0]].shape
        # moved[j] is the input position of output position j; invert it to follow the elements
        moved = np.arange(math.prod(in_shape)).reshape(in_shape).transpose(node.dims).reshape(-1)
        output_position = np.empty_like(moved)
        output_position[moved] = np.arange(moved.size)
        return _Value(value.nir_name, output_position[value.index])

    def _reshape(self, node):
        value = self.single_input(node)
        if len(node.shape) != 1:
            raise self.refuse(node, f"NIR can only flatten; this reshape gives shape {node.shape}.")
        if len(value.shape) == 1:
            return _Value(value.nir_name, value.index)
        flatten = self.nir.Flatten(input_type={"input": np.array(value.shape)}, start_dim=0, end_dim=-1)
        return _Value(self.emit(node.name, flatten, value.nir_name), value.index.reshape(-1))

    def _dense(self, node):
        value = self.single_input(node)
        if len(value.shape) != 1:
            shape = self.graph[node.inputs[0]].shape
            raise self.refuse(node, f"NIR's Affine needs a flat input; this one has shape {shape}.")
        weight = self._folded_weight(node, node.kernel[value.index].T)
        # Affine with zero bias rather than Linear: not every importer reads Linear (docs/export.md)
        bias = np.zeros(node.size, node.kernel.dtype) if node.bias is None else node.bias
        nir_node = self.nir.Affine(weight=weight, bias=self._folded_bias(node, bias))
        return _Value(self.emit(node.name, nir_node, value.nir_name), np.arange(node.size))

    def _convolution(self, node):
        if node.rank not in (1, 2):
            raise self.refuse(node, f"NIR has 1-D and 2-D convolutions only; this is {node.kind}.")
        value = self.spatial_input(node, node.rank)
        in_spatial = self.graph[node.inputs[0]].shape[:-1]
        padding = self._padding(node, in_spatial)
        weight = _ungrouped(np.moveaxis(node.kernel, (-1, -2), (0, 1)), node.groups)
        weight = self._folded_weight(node, weight)
        bias = np.zeros(node.kernel.shape[-1], node.kernel.dtype) if node.bias is None else node.bias
        bias = self._folded_bias(node, bias)
        if node.rank == 1:
            nir_node = self.nir.Conv1d(
                input_shape=int(in_spatial[0]), weight=weight, stride=node.strides[0], padding=padding[0],
                dilation=node.dilation_rate[0], groups=1, bias=bias,
            )
        else:
            nir_node = self.nir.Conv2d(
                input_shape=tuple(in_spatial), weight=weight, stride=node.strides, padding=padding,
                dilation=node.dilation_rate, groups=1, bias=bias,
            )
        expected = (node.shape[-1], *node.shape[:-1])
        if tuple(nir_node.output_type["output"]) != expected:
            computed = tuple(nir_node.output_type["output"])
            raise self.refuse(node, f"NIR would compute shape {computed}, not {expected}.")
        return _Value(self.emit(node.name, nir_node, value.nir_name), _channels_first(node.shape))

    def _folded_weight(self, node, weight):
        factor = self.folding.weight_factor.get(node.name, 1.0)
        return np.ascontiguousarray(np.asarray(weight) * np.asarray(factor, np.asarray(weight).dtype))

    def _folded_bias(self, node, bias):
        factor = self.folding.bias_factor.get(node.name, 1.0)
        return np.asarray(bias) * np.asarray(factor, np.asarray(bias).dtype)

    def _padding(self, node, in_spatial):
        """Symmetric padding per spatial axis (NIR pads both sides equally)."""
        if node.padding == "valid":
            return (0,) * node.rank
        if node.padding != "same":
            raise self.refuse(node, f"NIR cannot express {node.padding!r} padding.")
        padding = []
        for size, size_out, kernel, stride, dilation in zip(
            in_spatial, node.shape[:-1], node.kernel.shape[:-2], node.strides, node.dilation_rate
        ):
            before, after = same_padding(size, size_out, stride, dilation * (kernel - 1) + 1)
            if before != after:
                raise self.refuse(
                    node, f"'same' padding here needs {before + after} zeros, one more after than before, and NIR "
                    "pads both sides equally; use an odd kernel size with stride 1 or 'valid' padding.",
                )
            padding.append(before)
        return tuple(padding)

    def _synapse(self, node):
        value = self.single_input(node)
        if not isinstance(node.synapse, Lowpass):
            raise self.refuse(node, f"only low-pass synapses map to NIR's LI, not {node.synapse!r}.")
        tau = node.synapse.tau
        filtered = self.nir.LI(
            tau=np.full(value.shape, tau, np.float32),
            r=np.ones(value.shape, np.float32),
            v_leak=np.zeros(value.shape, np.float32),
        )
        return _Value(self.emit(node.name, filtered, value.nir_name), value.index)

    def _affine(self, node):
        value = self.single_input(node)
        if np.any(np.asarray(node.offset) != 0):
            raise self.refuse(node, "NIR's Scale has no offset; fold the offset into the neighbouring layer.")
        scale = _in_layout(np.broadcast_to(node.scale, node.shape), value.index).astype(np.float32)
        return _Value(self.emit(node.name, self.nir.Scale(scale=scale), value.nir_name), value.index)

    def add_output(self, name):
        value = self.values[name]
        node = self.graph[name]
        if not np.array_equal(value.index, _channels_first(node.shape)):
            raise self.refuse(node, "as a network output its values would reach NIR in another order.")
        output = self.nir.Output(output_type=np.array(value.shape))
        self.emit(f"{name}.output", output, value.nir_name)


NirExporter.rules = (
    (InputNode, NirExporter._input),
    (DenseNode, NirExporter._dense),
    (ConvolutionNode, NirExporter._convolution),
    (NeuronNode, nir_neurons.neurons),
    (SynapseNode, NirExporter._synapse),
    (ReshapeNode, NirExporter._reshape),
    (PermuteNode, NirExporter._permute),
    (AveragePool2DNode, nir_pooling.average_pool_2d),
    (GlobalAveragePool2DNode, nir_pooling.global_average_pool_2d),
    (AveragePool1DNode, nir_pooling.average_pool_1d),
    (GlobalAveragePool1DNode, nir_pooling.global_average_pool_1d),
    (MaxPoolNode, nir_pooling.max_pool),
    (AffineNode, NirExporter._affine),
    (AddNode, nir_merging.weighted_sum),
    (ConcatenateNode, nir_merging.concatenate),
)
