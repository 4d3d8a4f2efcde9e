"""Nodes that move, pad, crop or repeat values, without weights."""

import dataclasses
from typing import ClassVar

from snnconvert.ir.nodes import Node

__all__ = ["ReshapeNode", "ZeroPad2DNode", "Crop2DNode", "UpSample2DNode", "PermuteNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class ReshapeNode(Node):
    """Reorders nothing: the values keep their (row-major) order under the new ``shape``."""

    linear: ClassVar[bool] = True

    def describe(self):
        return f"-> {self.shape}"


@dataclasses.dataclass(eq=False, kw_only=True)
class ZeroPad2DNode(Node):
    """Zeros around the rows and columns: ``padding = ((top, bottom), (left, right))``."""

    linear: ClassVar[bool] = True

    padding: tuple = ((0, 0), (0, 0))


@dataclasses.dataclass(eq=False, kw_only=True)
class Crop2DNode(Node):
    """Rows and columns cut off: ``cropping = ((top, bottom), (left, right))``."""

    linear: ClassVar[bool] = True

    cropping: tuple = ((0, 0), (0, 0))


@dataclasses.dataclass(eq=False, kw_only=True)
class UpSample2DNode(Node):
    """Nearest-neighbour upsampling: each cell repeated ``factors = (rows, cols)`` times."""

    linear: ClassVar[bool] = True

    factors: tuple = (2, 2)


@dataclasses.dataclass(eq=False, kw_only=True)
class PermuteNode(Node):
    """Reorders the non-batch axes: output axis i is input axis ``dims[i]`` (0-based)."""

    linear: ClassVar[bool] = True

    dims: tuple = ()
