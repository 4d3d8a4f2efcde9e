"""What the command line feeds a model: ``load_labelled_data`` and ``fit_to_input``."""

import numpy as np
import pytest

from snnconvert.data.preprocess import ScaledImages, fit_to_input
from snnconvert.data.sources import load_labelled_data

RAW = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3) * 4  # values 0..236, all distinct


class RecordingArray:
    """An array-like that records every index it is read with."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape
        self.dtype = array.dtype
        self.reads = []

    def __len__(self):
        return len(self.array)

    def __getitem__(self, index):
        self.reads.append(index)
        return self.array[index]


# ---------------------------------------------------------------- fit_to_input


@pytest.mark.parametrize(
    "input_shape, expected",
    [
        ((4, 3), RAW),
        ((4, 3, 1), RAW[..., None]),
        ((1, 4, 3), RAW[:, None]),
        ((12,), RAW.reshape(5, 12)),
    ],
    ids=["same", "channel-last", "channel-first", "flattened"],
)
def test_fit_to_input_reshapes_and_divides_by_255(input_shape, expected):
    fitted = fit_to_input(RAW, input_shape)
    assert fitted.shape == (5, *input_shape) and len(fitted) == 5 and fitted.ndim == 1 + len(input_shape)
    batch = fitted[1:3]
    assert batch.dtype == np.float32 and batch.shape == (2, *input_shape)
    np.testing.assert_allclose(batch, expected[1:3] / 255.0, rtol=1e-6)
    # Pixel (row 1, col 2) of sample 1 is raw value (12 + 5) * 4 = 68.
    assert batch.reshape(2, 12)[0, 5] == pytest.approx(68 / 255)


def test_fit_to_input_divides_by_the_given_pixel_scale():
    fitted = fit_to_input(RAW, (4, 3, 1), pixel_scale=16)
    np.testing.assert_allclose(fitted[0:5], RAW[..., None] / 16.0, rtol=1e-6)
    assert float(np.max(fitted[0:5])) == 236 / 16


def test_whole_array_conversion_with_numpy():
    fitted = fit_to_input(RAW, (12,), pixel_scale=2)
    array = np.asarray(fitted)
    assert array.shape == (5, 12) and array.dtype == np.float32
    np.testing.assert_array_equal(array, RAW.reshape(5, 12) / np.float32(2))
    assert np.asarray(fitted, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize(
    "input_shape",
    [(5, 5, 1), (4, 3, 2), (3, 4, 1), (13,), (2, 4, 3), (4, 3, 1, 1)],
)
def test_fit_to_input_refuses_other_shapes_and_names_both(input_shape):
    with pytest.raises(ValueError) as error:
        fit_to_input(RAW, input_shape)
    assert "(4, 3)" in str(error.value)
    assert str(tuple(input_shape)) in str(error.value)


@pytest.mark.parametrize("pixel_scale", [0, -1.0, -255, None])
def test_fit_to_input_refuses_a_pixel_scale_that_is_not_positive(pixel_scale):
    with pytest.raises(ValueError, match="pixel_scale"):
        fit_to_input(RAW, (4, 3, 1), pixel_scale)


@pytest.mark.parametrize("pixel_scale", [float("nan"), float("inf")])
def test_fit_to_input_refuses_a_non_finite_pixel_scale(pixel_scale):
    with pytest.raises(ValueError, match="pixel_scale"):
        fit_to_input(RAW, (4, 3, 1), pixel_scale)


def test_scaled_images_convert_only_the_slice_read():
    source = RecordingArray(RAW)
    fitted = fit_to_input(source, (4, 3, 1))
    assert isinstance(fitted, ScaledImages)
    assert source.reads == []  # fitting converts nothing
    batch = fitted[2:4]
    assert source.reads == [slice(2, 4)]
    np.testing.assert_allclose(batch, RAW[2:4, :, :, None] / 255.0, rtol=1e-6)
    fitted[4:9]
    assert source.reads == [slice(2, 4), slice(4, 9)]


def test_scaled_images_refuse_single_indices():
    with pytest.raises(TypeError, match="slices"):
        fit_to_input(RAW, (4, 3))[0]


# ---------------------------------------------------------------- load_labelled_data


def test_npz_with_x_and_y_of_integers_scales_by_255(tmp_path):
    path = tmp_path / "data.npz"
    labels = np.array([0, 1, 2, 1, 0])
    np.savez(path, x=RAW, y=labels)
    images, loaded_labels, pixel_scale = load_labelled_data(str(path))
    np.testing.assert_array_equal(images, RAW)
    np.testing.assert_array_equal(loaded_labels, labels)
    assert pixel_scale == 255.0


def test_npz_with_x_test_and_y_test_of_floats_scales_by_1(tmp_path):
    path = tmp_path / "data.npz"
    floats = (RAW / 255.0).astype(np.float32)
    np.savez(path, x_test=floats, y_test=np.arange(5))
    images, labels, pixel_scale = load_labelled_data(path)
    np.testing.assert_array_equal(images, floats)
    np.testing.assert_array_equal(labels, np.arange(5))
    assert pixel_scale == 1.0


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.uint16])
def test_npz_of_any_integer_type_scales_by_255(tmp_path, dtype):
    path = tmp_path / "data.npz"
    np.savez(path, x=RAW.astype(dtype), y=np.zeros(5, int))
    assert load_labelled_data(path)[2] == 255.0


def test_missing_npz_file(tmp_path):
    path = tmp_path / "absent.npz"
    with pytest.raises(FileNotFoundError, match="absent.npz"):
        load_labelled_data(str(path))


def test_npz_with_wrong_keys_lists_what_it_holds(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, images=RAW, labels=np.zeros(5))
    with pytest.raises(ValueError) as error:
        load_labelled_data(path)
    assert "['images', 'labels']" in str(error.value)
    assert "x and y" in str(error.value)


def test_npz_with_mismatched_keys_pairs(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=RAW, y_test=np.zeros(5))
    with pytest.raises(ValueError, match="expected x and y"):
        load_labelled_data(path)


def test_npz_with_more_samples_than_labels(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=RAW, y=np.zeros(3))
    with pytest.raises(ValueError, match="5 samples but 3 labels"):
        load_labelled_data(path)


@pytest.mark.parametrize("name", ["cifar10", "mnist.csv", "MNIST", ""])
def test_unknown_dataset_names_the_known_ones(name):
    with pytest.raises(ValueError) as error:
        load_labelled_data(name)
    message = str(error.value)
    assert repr(name) in message
    for known in ("mnist", "fashion_mnist", "digits", ".npz"):
        assert known in message


def test_digits_by_name_has_pixel_scale_16():
    pytest.importorskip("sklearn")
    images, labels, pixel_scale = load_labelled_data("digits")
    assert pixel_scale == 16.0
    assert images.shape == (360, 8, 8) and labels.shape == (360,)
    assert images.max() == 16
    train_images, _, _ = load_labelled_data("digits", split="train")
    assert len(train_images) == 1437


def test_mnist_by_name_from_the_data_directory(data_dir):
    images, labels, pixel_scale = load_labelled_data("mnist", "test", data_dir=data_dir)
    assert pixel_scale == 255.0
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
