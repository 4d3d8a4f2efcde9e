"""`load_dataset` against the real files and the facts published about them."""

import dataclasses
import gzip
import struct
import sys

import numpy as np
import pytest

from snnconvert.data import DATASETS, DatasetInfo, load_dataset, resolve_data_dir

ENV = "SNNCONVERT_DATA"


def pixel_mean_std(images, pixel_max):
    # From the histogram: exact, and no float64 copy of 47M pixels.
    counts = np.bincount(images.ravel(), minlength=256).astype(np.float64)
    values = np.arange(counts.size) / pixel_max
    mean = np.dot(counts, values) / counts.sum()
    std = np.sqrt(np.dot(counts, (values - mean) ** 2) / counts.sum())
    return mean, std


def write_idx(path, array, compress=False):
    array = np.asarray(array, dtype=np.uint8)
    content = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    content += struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content) if compress else content)


@pytest.fixture(scope="module")
def mnist_train(data_dir):
    return load_dataset("mnist", "train", data_dir=data_dir)


@pytest.fixture(scope="module")
def mnist_test(data_dir):
    return load_dataset("mnist", "test", data_dir=data_dir)


@pytest.fixture(scope="module")
def fashion_train(data_dir):
    return load_dataset("fashion_mnist", "train", data_dir=data_dir)


@pytest.fixture(scope="module")
def fashion_test(data_dir):
    return load_dataset("fashion_mnist", "test", data_dir=data_dir)


# Real MNIST and Fashion-MNIST ------------------------------------------------


def test_mnist_test_split(mnist_test):
    x, y = mnist_test
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.int64
    np.testing.assert_array_equal(y[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    np.testing.assert_array_equal(
        np.bincount(y, minlength=10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    )


def test_mnist_train_split(mnist_train):
    x, y = mnist_train
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and y.dtype == np.int64
    np.testing.assert_array_equal(y[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    mean, std = pixel_mean_std(x, DATASETS["mnist"].pixel_max)
    assert mean == pytest.approx(0.13066, abs=1e-4)
    assert std == pytest.approx(0.30811, abs=1e-4)
    assert x.min() == 0 and x.max() == DATASETS["mnist"].pixel_max


def test_fashion_mnist_splits(fashion_train, fashion_test):
    (x_train, y_train), (x_test, y_test) = fashion_train, fashion_test
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), [1000] * 10)
    mean, std = pixel_mean_std(x_train, DATASETS["fashion_mnist"].pixel_max)
    assert mean == pytest.approx(0.28604, abs=1e-4)
    assert std == pytest.approx(0.35302, abs=1e-4)


def test_mnist_and_fashion_are_different_files(mnist_test, fashion_test):
    # Guards against both names resolving to the same folder.
    assert not np.array_equal(mnist_test[1], fashion_test[1])


# Data directory resolution ---------------------------------------------------


def test_resolve_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV, raising=False)
    assert resolve_data_dir() is None

    monkeypatch.setenv(ENV, "")
    assert resolve_data_dir() is None

    monkeypatch.setenv(ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir() == tmp_path / "from-env"
    assert resolve_data_dir(str(tmp_path / "from-arg")) == tmp_path / "from-arg"
    assert resolve_data_dir(tmp_path / "from-arg") == tmp_path / "from-arg"


def test_env_var_selects_data_dir(monkeypatch, data_dir, mnist_test):
    monkeypatch.setenv(ENV, str(data_dir))

    x, y = load_dataset("mnist")  # "test" is the default split

    np.testing.assert_array_equal(x, mnist_test[0])
    np.testing.assert_array_equal(y, mnist_test[1])


def test_argument_wins_over_env_var(monkeypatch, tmp_path, data_dir, mnist_test):
    monkeypatch.setenv(ENV, str(tmp_path))  # empty: would fail if used

    _, y = load_dataset("mnist", "test", data_dir=data_dir)

    np.testing.assert_array_equal(y, mnist_test[1])


def test_env_dir_without_files_raises(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, str(tmp_path))

    with pytest.raises(FileNotFoundError) as info:
        load_dataset("fashion_mnist", "train")
    message = str(info.value)
    assert ENV in message
    assert str(tmp_path / "fashion-mnist" / "train-images-idx3-ubyte.gz") in message
    assert "'fashion_mnist'" in message


def test_argument_dir_without_files_raises(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV, raising=False)
    missing = tmp_path / "no-such-dir"

    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        load_dataset("mnist", "test", data_dir=missing)
    message = str(info.value)
    assert "`data_dir` argument" in message and ENV in message
    assert str(missing) in message


def test_labels_missing_raises(tmp_path):
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28)), True)

    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_dataset("mnist", "test", data_dir=tmp_path)


# Small data directories written here -----------------------------------------


def test_uncompressed_files_accepted(tmp_path):
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", [3, 1, 4])

    x, y = load_dataset("mnist", "test", data_dir=tmp_path)

    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, [3, 1, 4])
    assert y.dtype == np.int64


def test_count_mismatch_raises(tmp_path):
    write_idx(tmp_path / "mnist" / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28)), True)
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", [0, 1], True)

    with pytest.raises(ValueError, match="holds 3 images but .* holds 2 labels"):
        load_dataset("mnist", "train", data_dir=tmp_path)


def test_wrong_image_shape_raises(tmp_path):
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", np.zeros((2, 8, 8)))
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", [0, 1])

    with pytest.raises(ValueError, match=r"expected uint8 of shape \('N', 28, 28\)"):
        load_dataset("mnist", "test", data_dir=tmp_path)


def test_label_out_of_range_raises(tmp_path):
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28)))
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", [0, 10])

    with pytest.raises(ValueError, match="label 10"):
        load_dataset("mnist", "test", data_dir=tmp_path)


# Keras download fallback (faked: no network in tests) ------------------------


def test_keras_fallback_without_data_dir(monkeypatch):
    keras = pytest.importorskip("keras")
    monkeypatch.delenv(ENV, raising=False)
    train = (np.full((2, 28, 28), 5, np.uint8), np.array([1, 2], np.uint8))
    test = (np.full((1, 28, 28), 9, np.uint8), np.array([7], np.uint8))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: (train, test))

    x, y = load_dataset("fashion_mnist", "train")

    np.testing.assert_array_equal(x, train[0])
    np.testing.assert_array_equal(y, [1, 2])
    assert y.dtype == np.int64


def test_keras_download_failure_explains_offline_fix(monkeypatch):
    keras = pytest.importorskip("keras")
    monkeypatch.delenv(ENV, raising=False)

    def offline():
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)

    with pytest.raises(ConnectionError, match="URL fetch failure") as info:
        load_dataset("mnist", "test")
    assert ENV in str(info.value)


# Argument errors ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["cifar10", "fashion-mnist", "MNIST", None])
def test_unknown_name(name):
    with pytest.raises(ValueError, match="Unknown dataset") as info:
        load_dataset(name)
    message = str(info.value)
    assert repr(name) in message
    assert "'mnist', 'fashion_mnist', 'digits'" in message


@pytest.mark.parametrize("name", ["mnist", "digits"])
@pytest.mark.parametrize("split", ["validation", "Test", None])
def test_bad_split(name, split):
    with pytest.raises(ValueError, match="Unknown split") as info:
        load_dataset(name, split)
    assert repr(split) in str(info.value)


# Registry ------------------------------------------------------------------------


def test_registry():
    assert set(DATASETS) == {"mnist", "fashion_mnist", "digits"}
    for name, info in DATASETS.items():
        assert isinstance(info, DatasetInfo) and info.name == name
        assert info.n_classes == len(info.class_names) == 10
    assert DATASETS["mnist"].image_shape == (28, 28) and DATASETS["mnist"].pixel_max == 255
    assert DATASETS["digits"].image_shape == (8, 8) and DATASETS["digits"].pixel_max == 16
    assert DATASETS["fashion_mnist"].class_names[0] == "T-shirt/top"
    assert DATASETS["fashion_mnist"].class_names[9] == "Ankle boot"


def test_registry_is_read_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DATASETS["mnist"].pixel_max = 1
    with pytest.raises(TypeError):
        DATASETS["other"] = DATASETS["mnist"]


# Digits (scikit-learn) -------------------------------------------------------------


def test_digits_split():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    x_train, y_train = load_dataset("digits", "train")
    x_test, y_test = load_dataset("digits", "test")

    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert x_train.min() == 0 and max(x_train.max(), x_test.max()) == 16
    # Pinned: a change here means the published split moved.
    np.testing.assert_array_equal(y_test[:10], [7, 9, 4, 7, 0, 2, 6, 1, 3, 1])
    np.testing.assert_array_equal(
        np.bincount(y_test, minlength=10), [31, 35, 39, 33, 44, 29, 40, 40, 28, 41]
    )

    # Together the two splits are exactly the full dataset, each sample once.
    full = sklearn_datasets.load_digits()
    joined = np.concatenate([x_train, x_test]).reshape(1797, 64)
    joined_y = np.concatenate([y_train, y_test])
    rows = np.column_stack([joined, joined_y])
    full_rows = np.column_stack([full.data.astype(np.int64), full.target])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, full_rows.tolist()))


def test_digits_split_is_deterministic():
    pytest.importorskip("sklearn")
    first = load_dataset("digits", "test")
    second = load_dataset("digits", "test")

    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_digits_ignores_data_dir(tmp_path):
    pytest.importorskip("sklearn")
    x, _ = load_dataset("digits", "test", data_dir=tmp_path)
    assert x.shape == (360, 8, 8)


def test_digits_without_sklearn(monkeypatch):
    # A `None` entry makes the import fail, as if scikit-learn were absent.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)

    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_dataset("digits")
