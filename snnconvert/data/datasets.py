"""Image-classification datasets used to train, convert and benchmark models.

Three datasets are known (see `DATASETS`):

* `"mnist"` and `"fashion_mnist"`: 28x28 grey images, read from the official
  IDX files in a data directory, or downloaded through Keras when no data
  directory is configured.
* `"digits"`: scikit-learn's bundled 8x8 handwritten digits. It works offline
  and is small enough for quick examples and tests.

A data directory holds one folder per IDX dataset, with the official file
names, gzip-compressed or not:

    <data_dir>/mnist/train-images-idx3-ubyte.gz
    <data_dir>/mnist/train-labels-idx1-ubyte.gz
    <data_dir>/mnist/t10k-images-idx3-ubyte.gz
    <data_dir>/mnist/t10k-labels-idx1-ubyte.gz
    <data_dir>/fashion-mnist/...   (same four names)
"""

import dataclasses
import os
import types
from pathlib import Path

import numpy as np

from snnconvert.data.idx import read_idx

DATA_DIR_ENV = "SNNCONVERT_DATA"
SPLITS = ("train", "test")

# `load_digits` has no official split. A fixed permutation makes one; the
# legacy `RandomState` is used because NumPy freezes its stream across
# versions, which `default_rng` does not promise for `permutation`.
_DIGITS_SPLIT_SEED = 0
_DIGITS_TEST_SIZE = 360


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Static facts about a dataset, for code that scales or labels its data.

    Attributes:
        name: key of the dataset in `DATASETS` and for `load_dataset`.
        image_shape: shape of one image as returned by `load_dataset`
            (no channel axis).
        n_classes: number of classes; labels are `0 .. n_classes - 1`.
        class_names: tuple of `n_classes` human-readable names, by label.
        pixel_max: largest pixel value; divide by it to scale pixels to [0, 1].
    """

    name: str
    image_shape: tuple[int, ...]
    n_classes: int
    class_names: tuple[str, ...]
    pixel_max: int


_DIGIT_NAMES = tuple(str(digit) for digit in range(10))

DATASETS = types.MappingProxyType(
    {
        "mnist": DatasetInfo("mnist", (28, 28), 10, _DIGIT_NAMES, 255),
        "fashion_mnist": DatasetInfo(
            "fashion_mnist",
            (28, 28),
            10,
            (
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ),
            255,
        ),
        "digits": DatasetInfo("digits", (8, 8), 10, _DIGIT_NAMES, 16),
    }
)

# Folder names follow the upstream distributions, hence the hyphen.
_IDX_FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist"}
_IDX_PREFIXES = {"train": "train", "test": "t10k"}


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the configured data directory, or `None` if there is none.

    Args:
        data_dir: str or `os.PathLike`, or `None`. When given it wins;
            otherwise the `SNNCONVERT_DATA` environment variable is used
            (an empty value counts as unset).

    Returns:
        A `pathlib.Path` (not checked for existence), or `None` when neither
        the argument nor the environment variable is set.
    """
    if data_dir is not None:
        return Path(os.fspath(data_dir)).expanduser()
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return None


def load_dataset(name: str, split: str = "test",
                 data_dir: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of a dataset as `(x, y)` NumPy arrays.

    For `"mnist"` and `"fashion_mnist"` the files are read from the data
    directory given by `data_dir`, else by the `SNNCONVERT_DATA` environment
    variable. With neither set, the dataset is downloaded through
    `keras.datasets` (needs internet access the first time).

    For `"digits"` no data directory is used: the data ships with
    scikit-learn. The split is fixed: a permutation of the 1797 samples seeded
    with 0; its last 360 samples are `"test"`, the other 1437 `"train"`.

    Args:
        name: one of the keys of `DATASETS`.
        split: `"train"` or `"test"`.
        data_dir: optional str or `os.PathLike`, the folder that contains
            `mnist/` and `fashion-mnist/`.

    Returns:
        `x`: `uint8` array of shape `(N,) + DATASETS[name].image_shape`, with
        raw pixel values `0 .. DATASETS[name].pixel_max`.
        `y`: `int64` array of shape `(N,)`, the class labels.

    Raises:
        ValueError: for an unknown `name` or `split`, or data files that do
            not form a valid dataset.
        FileNotFoundError: if a data directory is configured but does not
            hold the dataset's files. There is no download fallback then, so
            a misconfigured directory is never silently replaced.
        ImportError: for `"digits"` when scikit-learn is not installed.
    """
    if not isinstance(name, str) or name not in DATASETS:
        known = ", ".join(repr(known_name) for known_name in DATASETS)
        raise ValueError(f"Unknown dataset name={name!r}. Expected one of: {known}.")
    if split not in SPLITS:
        raise ValueError(
            f"Unknown split={split!r} for dataset {name!r}. Expected 'train' or 'test'."
        )

    if name == "digits":
        return _load_digits(split)

    root = resolve_data_dir(data_dir)
    if root is None:
        return _download_with_keras(name, split)
    if data_dir is not None:
        source = "the `data_dir` argument"
    else:
        source = f"the {DATA_DIR_ENV} environment variable"
    return _load_idx_dataset(name, split, root, source)


def _load_idx_dataset(name: str, split: str, root: Path, source: str) -> tuple[np.ndarray, np.ndarray]:
    folder = root / _IDX_FOLDERS[name]
    prefix = _IDX_PREFIXES[split]
    images_path = _find_file(folder / f"{prefix}-images-idx3-ubyte", name, root, source)
    labels_path = _find_file(folder / f"{prefix}-labels-idx1-ubyte", name, root, source)

    x = read_idx(images_path)
    y = read_idx(labels_path)

    info = DATASETS[name]
    expected_shape = ("N",) + info.image_shape
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != info.image_shape:
        raise ValueError(
            f"{images_path} does not hold {name} images: expected uint8 of shape "
            f"{expected_shape}, received {x.dtype} of shape {x.shape}. Check that the "
            f"folder holds the official {name} files."
        )
    if y.dtype != np.uint8 or y.ndim != 1:
        raise ValueError(
            f"{labels_path} does not hold {name} labels: expected uint8 of shape (N,), "
            f"received {y.dtype} of shape {y.shape}. Check that the folder holds the "
            f"official {name} files."
        )
    if len(x) != len(y):
        raise ValueError(
            f"The {name} {split} files disagree: {images_path} holds {len(x)} images "
            f"but {labels_path} holds {len(y)} labels. One of them is from another "
            "dataset or split; replace both with the official files."
        )
    if y.size and y.max() >= info.n_classes:
        raise ValueError(
            f"{labels_path} holds label {int(y.max())}, but {name} has "
            f"{info.n_classes} classes (labels 0..{info.n_classes - 1}). The file is "
            "corrupt or from another dataset."
        )
    return x, y.astype(np.int64)


def _find_file(stem: Path, name: str, root: Path, source: str) -> Path:
    """Return the `.gz` or uncompressed file at `stem`, or explain what is missing."""
    compressed = stem.with_name(stem.name + ".gz")
    for candidate in (compressed, stem):
        if candidate.is_file():
            return candidate
    where = (
        f"the data directory {root} does not exist"
        if not root.is_dir()
        else f"{compressed} (or uncompressed {stem.name}) is missing"
    )
    raise FileNotFoundError(
        f"Cannot load dataset {name!r}: {where}. The data directory comes from "
        f"{source}. Put the official {name} IDX files in {stem.parent}, point "
        f"`data_dir` or {DATA_DIR_ENV} at the folder that contains "
        f"'{_IDX_FOLDERS[name]}/', or leave both unset to download through Keras."
    )


def _download_with_keras(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    # Imported here: Keras pulls in TensorFlow, which the IDX path never needs.
    import keras

    loaders = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}
    loader = loaders[name]
    try:
        train, test = loader.load_data()
    except Exception as e:
        raise ConnectionError(
            f"Could not download dataset {name!r} through Keras: {e}. Without internet "
            f"access, set {DATA_DIR_ENV} (or pass `data_dir`) to a folder that contains "
            f"'{_IDX_FOLDERS[name]}/' with the official IDX files."
        ) from e
    x, y = train if split == "train" else test
    return np.asarray(x, dtype=np.uint8), np.asarray(y, dtype=np.int64)


def _load_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "The 'digits' dataset ships with scikit-learn, which is not installed. "
            "Install it with `pip install scikit-learn`, or use 'mnist' or "
            "'fashion_mnist' instead."
        ) from e

    digits = load_digits()
    # Pixels are whole numbers 0..16 stored as float64; uint8 matches the
    # other datasets and is exact.
    x = np.asarray(digits.images).astype(np.uint8)
    y = np.asarray(digits.target).astype(np.int64)

    order = np.random.RandomState(_DIGITS_SPLIT_SEED).permutation(len(y))
    n_train = len(y) - _DIGITS_TEST_SIZE
    keep = order[:n_train] if split == "train" else order[n_train:]
    return x[keep], y[keep]
