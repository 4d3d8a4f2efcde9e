"""Fitting raw images to a model's input: pixel scaling, channel axis, flattening.

Preprocessing is lazy: :class:`ScaledImages` behaves like an array but converts only
the slice that is read, so a whole uint8 dataset is never copied to float32.
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


class ScaledImages:
    """``images / pixel_scale`` reshaped to ``sample_shape``, computed slice by slice.

    Args:
        images: array ``[n, ...]`` of raw samples.
        sample_shape: the model's input shape (without the batch axis).
        pixel_scale: divide pixel values by this (255 for 8-bit images).
    """

    def __init__(self, images: Any, sample_shape: Sequence[int], pixel_scale: float = 255.0) -> None:
        self.images = images
        self.sample_shape = tuple(sample_shape)
        self.pixel_scale = float(pixel_scale)
        self.shape = (len(images), *self.sample_shape)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: slice) -> np.ndarray:
        if not isinstance(index, slice):
            raise TypeError("ScaledImages supports slices only (it is read batch by batch).")
        raw = np.asarray(self.images[index])
        return (raw.astype(np.float32) / self.pixel_scale).reshape(-1, *self.sample_shape)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = self[:]
        return array if dtype is None else array.astype(dtype)


def fit_to_input(images: np.ndarray, input_shape: Sequence[int], pixel_scale: float = 255.0) -> ScaledImages:
    """Match ``images`` ``[n, ...]`` to a model input of shape ``input_shape``.

    Accepted differences: a missing channel axis of size 1 (last or first), or a
    model that takes flattened vectors. Anything else is an error that names both
    shapes, since silently reshaping would feed the model scrambled pixels.
    """
    input_shape = tuple(input_shape)
    sample = tuple(images.shape[1:])
    if images.dtype.kind not in "biuf":
        raise ValueError(
            f"The data must be real numbers (bool, integer or float); received dtype {images.dtype}. "
            "Convert it to numbers before evaluating."
        )
    if pixel_scale is None or not math.isfinite(pixel_scale) or pixel_scale <= 0:
        raise ValueError(f"`pixel_scale` must be > 0. Received: pixel_scale={pixel_scale!r}")
    fits = (
        sample == input_shape
        or input_shape == sample + (1,)
        or input_shape == (1,) + sample
        or (len(input_shape) == 1 and int(np.prod(sample)) == input_shape[0])
    )
    if not fits:
        raise ValueError(
            f"The data's samples have shape {sample} but the model expects {input_shape}. "
            "Use data matching the model (e.g. a 28x28 dataset for a 28x28 model), or "
            "reshape it yourself before converting."
        )
    return ScaledImages(images, input_shape, pixel_scale)
