"""`load_images`: one call from a dataset to what a converted network takes."""

from pathlib import Path

import numpy as np
import pytest

import snnconvert
from snnconvert.data import load_dataset, load_images
from snnconvert.data.preprocess import ScaledImages

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def mnist_train_images(data_dir):
    return load_images("mnist", "train", data_dir=data_dir)


def test_mnist_train_is_float32_with_a_channel_axis_and_the_published_statistics(mnist_train_images):
    x, y = mnist_train_images
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    # The normalisation constants quoted for MNIST everywhere (e.g. torchvision's examples).
    assert x.mean(dtype=np.float64) == pytest.approx(0.13066, abs=5e-6)
    assert x.std(dtype=np.float64) == pytest.approx(0.30811, abs=5e-6)


def test_mnist_test_keeps_the_official_order(data_dir):
    x, y = load_images("mnist", data_dir=data_dir, n=10)
    assert x.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(y, [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])


def test_pixels_are_the_raw_bytes_over_255_in_float32(data_dir):
    raw, labels = load_dataset("fashion_mnist", "test", data_dir=data_dir)
    x, y = load_images("fashion_mnist", "test", data_dir=data_dir, n=300)
    expected = raw[:300, :, :, None].astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(y, labels[:300])


def test_the_data_directory_comes_from_the_environment_as_for_the_command_line(data_dir, monkeypatch):
    monkeypatch.setenv("SNNCONVERT_DATA", str(data_dir))
    _, y = load_images("mnist", n=3)
    np.testing.assert_array_equal(y, [7, 2, 1])


def test_digits_are_divided_by_16_and_shaped_for_the_network():
    raw, labels = load_dataset("digits", "test")
    net = snnconvert.convert(str(MODELS / "digits_mlp.h5"), neuron_type="rate")
    x, y = load_images("digits", input_shape=net.graph.inputs[0].shape)
    assert x.shape == (360, 8, 8, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x, raw[..., None] / np.float32(16))
    np.testing.assert_array_equal(y, labels)
    assert x.max() == 1.0  # digits' pixels run up to 16


def test_images_are_flattened_for_a_model_of_vectors():
    raw, _ = load_dataset("digits", "test")
    x, _ = load_images("digits", input_shape=(64,), n=5)
    np.testing.assert_array_equal(x, raw[:5].reshape(5, 64) / np.float32(16))


def test_lazy_gives_what_the_command_line_reads_slice_by_slice():
    eager, _ = load_images("digits", input_shape=(8, 8, 1))
    lazy, _ = load_images("digits", input_shape=(8, 8, 1), lazy=True)
    assert isinstance(lazy, ScaledImages) and lazy.shape == eager.shape
    np.testing.assert_array_equal(lazy[100:150], eager[100:150])


def test_npz_integers_get_a_channel_axis_and_floats_are_kept(tmp_path):
    raw = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    np.savez(tmp_path / "ints.npz", x=raw, y=np.array([1, 0]))
    x, y = load_images(tmp_path / "ints.npz")
    np.testing.assert_array_equal(x, raw[..., None] / np.float32(255))
    np.testing.assert_array_equal(y, [1, 0])

    vectors = np.array([[0.25, 0.5], [1.0, 0.0]], dtype=np.float32)
    np.savez(tmp_path / "floats.npz", x_test=vectors, y_test=np.array([0, 1]))
    x, _ = load_images(tmp_path / "floats.npz", pixel_scale=0.5)
    np.testing.assert_array_equal(x, vectors * 2)


def test_n_beyond_the_dataset_keeps_every_sample():
    x, _ = load_images("digits", n=10_000)
    assert x.shape == (360, 8, 8, 1)


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "10"])
def test_n_that_is_not_a_positive_whole_number_is_refused(n):
    with pytest.raises(ValueError, match=r"`n` must be a whole number >= 1.*n="):
        load_images("digits", n=n)


def test_an_input_shape_the_images_cannot_take_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(8, 8\).*\(28, 28, 1\)"):
        load_images("digits", input_shape=(28, 28, 1))
