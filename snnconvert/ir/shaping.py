"""Nodes that move, pad, crop or repeat values, without weights."""

import dataclasses
from typing import ClassVar

from snnconvert.ir.nodes import Node

__all__ = ["ReshapeNode", "ZeroPadNode", "CropNode", "UpSampleNode", "PermuteNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class ReshapeNode(Node):
    """Reorders nothing: the values keep their (row-major) order under the new ``shape``."""

    linear: ClassVar[bool] = True

    def describe(self) -> str:
        return f"-> {self.shape}"


@dataclasses.dataclass(eq=False, kw_only=True)
class ZeroPadNode(Node):
    """Zeros added before and after each non-batch axis: ``padding`` holds one
    ``(before, after)`` pair per axis, the channel axis included (as ``(0, 0)``), so
    1-D, 2-D, 3-D and channels-first data are all described the same way."""

    linear: ClassVar[bool] = True

    padding: tuple = ()

    def describe(self) -> str:
        return f"pad {self.padding}"


@dataclasses.dataclass(eq=False, kw_only=True)
class CropNode(Node):
    """Values cut off before and after each non-batch axis: one ``(before, after)``
    pair per axis in ``cropping``, as for :class:`ZeroPadNode`."""

    linear: ClassVar[bool] = True

    cropping: tuple = ()

    def describe(self) -> str:
        return f"crop {self.cropping}"


@dataclasses.dataclass(eq=False, kw_only=True)
class UpSampleNode(Node):
    """Nearest-neighbour upsampling: each value repeated ``factors[i]`` times along
    non-batch axis ``i`` (1 for the channel axis)."""

    linear: ClassVar[bool] = True

    factors: tuple = ()

    def describe(self) -> str:
        return f"repeat {self.factors}"


@dataclasses.dataclass(eq=False, kw_only=True)
class PermuteNode(Node):
    """Reorders the non-batch axes: output axis i is input axis ``dims[i]`` (0-based)."""

    linear: ClassVar[bool] = True

    dims: tuple = ()
