"""Element-wise nodes."""

import dataclasses
from typing import ClassVar

import numpy as np

from snnconvert.ir.nodes import Node

__all__ = ["AffineNode"]


@dataclasses.dataclass(eq=False, kw_only=True)
class AffineNode(Node):
    """Element-wise ``x * scale + offset``, both broadcast against the last axis."""

    linear: ClassVar[bool] = True

    scale: np.ndarray
    offset: np.ndarray

    def parameter_count(self):
        return self.scale.size + self.offset.size
