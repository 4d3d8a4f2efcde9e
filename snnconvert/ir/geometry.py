"""Sliding-window arithmetic shared by convolution and pooling nodes, their exporters
and the reports that count their connections.

One axis at a time: ``size_in`` input cells, ``size_out`` windows ``stride`` apart,
the first starting ``before`` cells before the first input cell (its leading padding).
"""

from __future__ import annotations

import numpy as np


def same_padding(size_in: int, size_out: int, stride: int, span: int) -> tuple[int, int]:
    """TensorFlow's ``"same"`` padding of one axis: ``(before, after)`` zeros such that
    ``size_out`` windows of ``span`` cells (``dilation * (kernel - 1) + 1``), ``stride``
    apart, cover ``size_in`` cells; the odd zero goes after."""
    total = max((size_out - 1) * stride + span - size_in, 0)
    return total // 2, total - total // 2


def leading_padding(padding: str, size_in: int, size_out: int, stride: int, span: int) -> int:
    """Cells of padding before the first input cell: none for ``"valid"``, TensorFlow's
    for ``"same"``, and all of it (``span - 1``) for ``"causal"``."""
    if padding == "valid":
        return 0
    if padding == "same":
        return same_padding(size_in, size_out, stride, span)[0]
    if padding == "causal":
        return span - 1
    raise ValueError(f"Unknown padding {padding!r}; expected 'valid', 'same' or 'causal'.")


def tap_matrix(size_in: int, size_out: int, stride: int, offset: int, before: int) -> np.ndarray:
    """``[size_in, size_out]``, 1 where window ``o``'s cell at ``offset`` (from the
    window's start) is input cell ``r``: ``r = o * stride + offset - before``. Cells
    in the padding belong to no input cell."""
    cell = np.arange(size_out) * stride + offset - before
    matrix = np.zeros((size_in, size_out), np.int64)
    inside = (cell >= 0) & (cell < size_in)
    matrix[cell[inside], np.arange(size_out)[inside]] = 1
    return matrix


def window_matrix(size_in: int, size_out: int, stride: int, window: int, before: int) -> np.ndarray:
    """``[size_in, size_out]``, 1 where window ``o`` of ``window`` consecutive cells
    covers input cell ``r``."""
    return sum((tap_matrix(size_in, size_out, stride, offset, before) for offset in range(window)),
               np.zeros((size_in, size_out), np.int64))
