"""The spiking graph: nodes in topological order, with named outputs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from snnconvert.ir.nodes import InputNode, NeuronNode, Node


class SpikingGraph:
    """A feed-forward network of :mod:`snnconvert.ir.nodes`, in topological order.

    Attributes:
        nodes: dict from node name to node, ordered so that inputs come first.
        outputs: names of the nodes whose values are the network's outputs.
    """

    def __init__(self, nodes: Iterable[Node], outputs: Iterable[str]) -> None:
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            self._append(node)
        missing = [name for name in outputs if name not in self.nodes]
        if missing:
            raise ValueError(f"Graph outputs {missing} are not nodes of the graph.")
        self.outputs = list(outputs)

    def _append(self, node: Node) -> None:
        if node.name in self.nodes:
            raise ValueError(f"Duplicate node name {node.name!r} in the spiking graph.")
        unknown = [name for name in node.inputs if name not in self.nodes]
        if unknown:
            raise ValueError(
                f"Node {node.name!r} reads {unknown}, which come later or do not exist; "
                "nodes must be given in topological order."
            )
        self.nodes[node.name] = node

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def inputs(self) -> list[InputNode]:
        return [node for node in self if isinstance(node, InputNode)]

    @property
    def neuron_nodes(self) -> list[NeuronNode]:
        return [node for node in self if isinstance(node, NeuronNode)]

    def consumers(self, name: str) -> list[Node]:
        return [node for node in self if name in node.inputs]

    def replace(self, nodes: Iterable[Node], outputs: Iterable[str] | None = None) -> SpikingGraph:
        """A new graph with ``nodes`` (and optionally new outputs); this one is unchanged."""
        return SpikingGraph(nodes, self.outputs if outputs is None else outputs)

    def __repr__(self) -> str:
        neurons = sum(node.size for node in self.neuron_nodes)
        return (
            f"<SpikingGraph {len(self)} nodes, {len(self.neuron_nodes)} neuron "
            f"populations, {neurons} neurons, outputs={self.outputs}>"
        )
