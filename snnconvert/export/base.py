"""What every exporter shares, and the choice of exporter by format.

An exporter walks the spiking graph in topological order, translating each node by
the first of its ``rules`` whose node type matches, and remembers what each node
became (``values``) so that later nodes can read it. A node that no rule matches, or
that a rule cannot translate, stops the export with an :class:`ExportError` naming
the node and its Keras layer.

A new format subclasses :class:`Exporter`, sets ``format_name``, ``suffixes`` and
``rules``, implements ``add_output`` and ``write``, and registers itself with
:func:`register_exporter`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from snnconvert.errors import ExportError
from snnconvert.ir.graph import SpikingGraph
from snnconvert.ir.nodes import Node

__all__ = ["Exporter", "export", "register_exporter"]

# ``(exporter, node) -> value``. The node is of the type the rule is listed with, which a
# Callable's parameter types cannot say (a rule for AddNode is no rule for every Node).
Rule = Callable[[Any, Any], Any]


class Exporter:
    """Translates a :class:`~snnconvert.ir.SpikingGraph` node by node."""

    format_name: ClassVar[str] = ""
    suffixes: ClassVar[tuple[str, ...]] = ()
    rules: ClassVar[tuple[tuple[type[Node], Rule], ...]] = ()

    def __init__(self, graph: SpikingGraph) -> None:
        self.graph = graph
        self.values: dict[str, Any] = {}

    def translate(self) -> None:
        """Translate every node, inputs first, then mark the graph's outputs."""
        for node in self.graph:
            self.values[node.name] = self.translate_node(node)
        for name in self.graph.outputs:
            self.add_output(name)

    def translate_node(self, node: Node) -> Any:
        for node_type, rule in self.rules:
            if isinstance(node, node_type):
                return rule(self, node)
        described = node.describe() or "no parameters"
        raise self.refuse(node, f"{self.format_name} has no node for {node.kind} ({described}).")

    def refuse(self, node: Node, why: str) -> ExportError:
        """The error to raise for ``node``: its name, its Keras layer and ``why``."""
        layer = f" (Keras layer {node.source!r})" if node.source else ""
        return ExportError(f"Cannot export node {node.name!r}{layer} to {self.format_name}: {why}")

    def single_input(self, node: Node) -> Any:
        """What the node's only input became; refuses nodes with several inputs."""
        if len(node.inputs) != 1:
            raise self.refuse(
                node, f"{node.kind} nodes with {len(node.inputs)} inputs have no {self.format_name} equivalent."
            )
        return self.values[node.inputs[0]]

    def add_output(self, name: str) -> None:
        raise NotImplementedError

    def write(self, path: str | os.PathLike[str]) -> Any:
        """Write the translated graph to ``path``; returns the format's own object."""
        raise NotImplementedError


_EXPORTERS: dict[str, type[Exporter]] = {}


def register_exporter(exporter: type[Exporter]) -> type[Exporter]:
    """Make ``exporter`` available to :func:`export` under its ``format_name``."""
    _EXPORTERS[exporter.format_name.lower()] = exporter
    return exporter


def export(network: Any, path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Any:
    """Write ``network`` (a ``SpikingNetwork`` or its ``graph``) to ``path`` in
    ``format`` (e.g. ``"nir"``), or in the format its suffix names (``.nir``) when
    ``format`` is None; ``options`` go to that format's exporter. Returns what the
    exporter wrote (for NIR, the ``nir.NIRGraph``)."""
    exporter = _exporter_for(path, format)
    builder = exporter(getattr(network, "graph", network), **options)
    builder.translate()
    return builder.write(path)


def _exporter_for(path: str | os.PathLike[str], format: str | None) -> type[Exporter]:
    known = ", ".join(sorted(_EXPORTERS))
    if format is not None:
        if format.lower() not in _EXPORTERS:
            raise ExportError(f"Unknown export format {format!r}; the formats are: {known}.")
        return _EXPORTERS[format.lower()]
    suffix = Path(path).suffix.lower()
    for exporter in _EXPORTERS.values():
        if suffix in exporter.suffixes:
            return exporter
    suffixes = ", ".join(s for e in _EXPORTERS.values() for s in e.suffixes)
    raise ExportError(
        f"Cannot tell the export format from the file name {str(path)!r}; give a file ending in {suffixes} "
        f"or pass format= (one of: {known})."
    )
