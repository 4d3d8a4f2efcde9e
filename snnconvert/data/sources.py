"""Evaluation data by name (a known dataset) or by file (``.npz``)."""

import numbers
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snnconvert.data.datasets import DATASETS, load_dataset
from snnconvert.data.preprocess import fit_to_input

_NPZ_KEYS = (("x_test", "y_test"), ("x", "y"))


def load_labelled_data(source: str | os.PathLike[str], split: str = "test",
                       data_dir: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """``(images, labels, pixel_scale)`` for a dataset name or an ``.npz`` file.

    ``pixel_scale`` is what to divide the raw values by to reach the range the
    models were trained on: the dataset's maximum pixel value for named datasets,
    255 for integer arrays from a file, 1 for float arrays (assumed scaled already).
    """
    if isinstance(source, str) and source in DATASETS:
        images, labels = load_dataset(source, split, data_dir=data_dir)
        return images, labels, float(DATASETS[source].pixel_max)
    path = Path(source)
    if path.suffix != ".npz":
        known = ", ".join(DATASETS)
        raise ValueError(
            f"Unknown dataset {source!r}: expected one of {known}, or a .npz file with "
            "arrays x and y (or x_test and y_test)."
        )
    if not path.is_file():
        raise FileNotFoundError(f"Dataset file {str(path)!r} does not exist.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            for x_key, y_key in _NPZ_KEYS:
                if x_key in archive and y_key in archive:
                    images, labels = archive[x_key], archive[y_key]
                    break
            else:
                raise ValueError(
                    f"{str(path)!r} holds arrays {sorted(archive.files)}; expected x and y "
                    "(or x_test and y_test)."
                )
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"{str(path)!r} is not a readable .npz file (truncated or corrupt?): {error}") from None
    check_npz_arrays(path, (x_key, images), (y_key, labels))
    if len(images) == 0:
        raise ValueError(f"{str(path)!r} holds no samples.")
    if len(images) != len(labels):
        raise ValueError(f"{str(path)!r}: {len(images)} samples but {len(labels)} labels.")
    pixel_scale = 255.0 if np.issubdtype(images.dtype, np.integer) else 1.0
    return images, labels, pixel_scale


def load_images(source: str | os.PathLike[str], split: str = "test", *, data_dir: str | os.PathLike[str] | None = None,
                n: int | None = None, input_shape: Sequence[int] | None = None, pixel_scale: float | None = None,
                lazy: bool = False) -> tuple[Any, np.ndarray]:
    """Images ready for a converted network, and their labels: what the command line feeds it.

    The raw samples of ``source`` (a dataset name or an ``.npz`` file, as for
    ``snnconvert evaluate --dataset``) are divided by their maximum pixel value (255 for
    MNIST and Fashion-MNIST, 16 for digits, 255 for integer arrays from a file, 1 for float
    ones) and given the model's input shape.

    Args:
        source: ``"mnist"``, ``"fashion_mnist"``, ``"digits"`` or the path of an ``.npz``
            file with ``x``/``y`` (or ``x_test``/``y_test``).
        split: ``"train"`` or ``"test"`` for a named dataset (a file has one split).
        data_dir: the folder holding ``mnist/`` and ``fashion-mnist/``; else
            ``$SNNCONVERT_DATA``; with neither, Keras downloads the dataset.
        n: keep only the first ``n`` samples (all of them if there are fewer).
        input_shape: the shape of one sample the model takes, e.g.
            ``net.graph.inputs[0].shape``. A channel axis of size 1 may be added (last or
            first) or the image flattened; nothing else. ``None`` adds a trailing channel
            axis to 2-D images (``[n, 28, 28, 1]`` for MNIST) and keeps other samples as
            they are.
        pixel_scale: divide by this instead of the dataset's maximum.
        lazy: return ``x`` as an array-like that converts only the slices read (what the
            command line uses, so a whole dataset is never copied to float32).

    Returns:
        ``(x, y)``: ``x`` float32 ``[n, *input_shape]`` (in [0, 1] for the known datasets),
        ``y`` the labels as stored (int64 for the known datasets).
    """
    images, labels, dataset_scale = load_labelled_data(source, split, data_dir=data_dir)
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"`n` must be a whole number >= 1 (or None for every sample). Received: n={n!r}")
        images, labels = images[:n], labels[:n]
    if len(images) == 0:
        raise ValueError(f"Dataset {source!r} holds no samples.")
    if input_shape is None:
        sample = tuple(images.shape[1:])
        input_shape = sample + (1,) if len(sample) == 2 else sample
    x = fit_to_input(images, tuple(input_shape), dataset_scale if pixel_scale is None else pixel_scale)
    return (x if lazy else np.asarray(x)), labels


def check_npz_arrays(path: str | os.PathLike[str], samples: tuple[str, np.ndarray],
                     labels: tuple[str, np.ndarray] | None = None) -> None:
    """Refuse arrays of an ``.npz`` file that cannot be data: ``samples`` (``(key, array)``)
    needs a sample axis, ``labels`` one label or one-hot row per sample."""
    key, array = samples
    if array.ndim == 0:
        raise ValueError(
            f"{str(path)!r}: array {key!r} is a single value ({array.item()!r}); it must hold samples "
            f"along its first axis, shaped [n_samples, ...] (e.g. [n, 28, 28] images)."
        )
    if labels is not None and labels[1].ndim not in (1, 2):
        key, array = labels
        raise ValueError(
            f"{str(path)!r}: array {key!r} has shape {array.shape}; labels must be integer classes "
            "shaped [n_samples] or one-hot rows shaped [n_samples, classes]."
        )
