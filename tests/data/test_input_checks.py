"""Labels and ``.npz`` arrays that cannot be what they claim are refused with one clear error."""

import re

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.data.sources import load_labelled_data
from snnconvert.metrics.evaluation import as_labels


@pytest.fixture(scope="module")
def three_class_network():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(3)])
    model.set_weights([np.full(w.shape, 0.3, np.float32) + np.arange(w.size).reshape(w.shape) * 0.01
                       for w in model.get_weights()])
    return snnconvert.convert(model, scale_firing_rates=50)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    return rng.uniform(0, 1, (12, 4)).astype(np.float32), rng.integers(0, 3, 12)


@pytest.mark.parametrize("width", [2, 4, 10])
def test_one_hot_labels_of_another_width_than_the_classes_are_refused(three_class_network, data, width):
    x, y = data
    # Two columns: every label is still a valid class index, so only the width shows the mistake.
    one_hot = np.eye(width)[np.minimum(y, width - 1)]
    with pytest.raises(ValueError, match=f"One-hot labels have {width} columns but the network has 3 outputs"):
        three_class_network.evaluate(x, one_hot, 5, progress=False, compare_keras=False)


def test_one_hot_labels_of_the_right_width_give_the_integer_labels_accuracy(three_class_network, data):
    x, y = data
    by_class = three_class_network.evaluate(x, y, 5, progress=False, compare_keras=False)
    one_hot = three_class_network.evaluate(x, np.eye(3)[y], 5, progress=False, compare_keras=False)
    assert one_hot.accuracy == by_class.accuracy
    np.testing.assert_array_equal(one_hot.accuracy_per_step, by_class.accuracy_per_step)



def test_an_empty_dataset_is_refused_by_name_not_by_a_division_by_zero(three_class_network):
    import tensorflow as tf

    empty = tf.data.Dataset.from_tensor_slices((np.zeros((0, 4), np.float32), np.zeros(0, np.int64))).batch(4)
    with pytest.raises(ValueError, match="the data held no samples"):
        three_class_network.evaluate(empty, n_steps=5, progress=False)


def test_as_labels_checks_the_width_only_when_the_classes_are_known():
    np.testing.assert_array_equal(as_labels(np.eye(2)[[1, 0]], 2), [1, 0])
    with pytest.raises(ValueError, match="2 columns but the network has 5 outputs"):
        as_labels(np.eye(2)[[1, 0]], 2, n_classes=5)


@pytest.mark.parametrize("key", ["x", "x_test"])
def test_an_npz_whose_samples_are_a_scalar_is_refused(tmp_path, key):
    path = tmp_path / "scalar.npz"
    np.savez(path, **{key: np.float32(3.0), key.replace("x", "y"): np.arange(3)})
    with pytest.raises(ValueError, match=rf"scalar\.npz': array '{key}' is a single value \(3\.0\); it must hold "
                                         r"samples along its first axis"):
        load_labelled_data(str(path))


@pytest.mark.parametrize("labels", [np.int64(1), np.zeros((3, 2, 2))])
def test_an_npz_whose_labels_are_neither_classes_nor_one_hot_rows_is_refused(tmp_path, labels):
    path = tmp_path / "labels.npz"
    np.savez(path, x=np.zeros((3, 4)), y=labels)
    with pytest.raises(ValueError, match=re.escape(f"labels.npz': array 'y' has shape {labels.shape}; labels must")):
        load_labelled_data(str(path))


def test_the_command_line_refuses_a_scalar_npz_in_one_line(tmp_path, capsys):
    from snnconvert.cli.main import main

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "scalar.npz", x=np.float32(1.0), y=np.arange(3), x_train=np.float32(1.0))
    for scale in ("10", "auto"):
        code = main(["evaluate", str(tmp_path / "m.keras"), "--dataset", str(tmp_path / "scalar.npz"),
                     "--scale", scale, "--quiet"])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1 and "is a single value (1.0)" in err, err
