"""Pooling nodes."""

import dataclasses
from typing import ClassVar

from snnconvert.ir.nodes import Node

__all__ = ["AveragePool2DNode", "GlobalAveragePool2DNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class AveragePool2DNode(Node):

    linear: ClassVar[bool] = True
    pool_size: tuple = (2, 2)
    strides: tuple = (2, 2)
    padding: str = "valid"

    def describe(self):
        return f"pool {self.pool_size} stride {self.strides} {self.padding}"


@dataclasses.dataclass(eq=False, kw_only=True)
class GlobalAveragePool2DNode(Node):

    linear: ClassVar[bool] = True
    keepdims: bool = False
