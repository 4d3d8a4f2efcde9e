"""Nodes that combine several inputs."""

import dataclasses

from snnconvert.ir.nodes import Node

__all__ = ["AddNode", "ConcatenateNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class AddNode(Node):
    """Sum of the inputs, each times its coefficient (all 1 when ``coefficients`` is
    empty): Add, Subtract (1, -1) and Average (1/n each) alike."""

    coefficients: tuple = ()


@dataclasses.dataclass(eq=False, kw_only=True)
class ConcatenateNode(Node):
    """Joins the inputs along ``axis``, counted among the non-batch axes (0 = first)."""

    axis: int = -1
