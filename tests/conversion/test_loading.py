"""Models loaded from files (tf.keras 2 ``.h5``, Keras 3 ``.keras`` and ``.h5``) convert exactly.

The reference is the model that wrote the file: its predictions (or, for a softmax
output, those of a linear twin with the same weights) must equal the converted
network's output at every step in rate mode.
"""

import shutil

import h5py
import keras
import numpy as np
import pytest
from conversion_helpers import (
    affine_nodes,
    assert_over_time_equals,
    check_rate_matches_keras,
    keras_outputs,
    random_inputs,
    randomize_weights,
)

import snnconvert

tf_keras = pytest.importorskip("tf_keras")
TL = tf_keras.layers
L = keras.layers

N_STEPS = 3


def _rate_output(path, x, **options):
    net = snnconvert.convert(path, neuron_type="rate", **options)
    return net, net.run(x, N_STEPS, progress=False).output


# ------------------------------------------------------------------ tf.keras 2 .h5
def tf_keras_cnn(output_activation):
    return tf_keras.Sequential(
        [
            TL.InputLayer(input_shape=(8, 8, 2)),
            TL.Conv2D(4, 3, padding="same", activation="relu"),
            TL.Conv2D(4, 3, strides=2, use_bias=False),
            TL.BatchNormalization(),
            TL.ReLU(),
            TL.AveragePooling2D(2, padding="same"),
            TL.Flatten(),
            TL.Dense(6, activation="relu"),
            TL.Dropout(0.5),
            TL.Dense(5, activation=output_activation),
        ]
    )


def tf_keras_residual():
    inputs = tf_keras.Input((6, 6, 3))
    stem = TL.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = TL.Conv2D(4, 3, padding="same")(stem)
    x = TL.BatchNormalization()(x)
    x = TL.Activation("relu")(x)
    x = TL.Conv2D(4, 3, padding="same")(x)
    x = TL.BatchNormalization()(x)
    x = TL.Add()([x, stem])
    x = TL.ReLU()(x)
    branch = TL.Conv2D(2, 1)(x)
    x = TL.Concatenate()([x, branch])
    x = TL.GlobalAveragePooling2D()(x)
    return tf_keras.Model(inputs, TL.Dense(3)(x))


def test_tf_keras_h5_sequential_with_softmax_matches_tf_keras(tmp_path):
    model = randomize_weights(tf_keras_cnn("softmax"))
    path = tmp_path / "tf_keras_cnn.h5"
    model.save(path)
    with h5py.File(path, "r") as file:  # really written by Keras 2
        assert str(file.attrs["keras_version"]).startswith("2.")
    linear = tf_keras_cnn("linear")
    linear.set_weights(model.get_weights())
    x = np.random.default_rng(3).normal(size=(4, 8, 8, 2)).astype(np.float32)
    logits = linear.predict(x, verbose=0)
    probabilities = model.predict(x, verbose=0)
    for source in (str(path), path):
        net, output = _rate_output(source, x)
        assert_over_time_equals(output, logits, N_STEPS)
        np.testing.assert_array_equal(output[:, -1].argmax(axis=1), probabilities.argmax(axis=1))
        assert any("softmax" in note for note in net.notes)
        assert affine_nodes(net) == []  # BN folded into the bias-free conv


def test_tf_keras_h5_functional_matches_tf_keras(tmp_path):
    model = randomize_weights(tf_keras_residual())
    path = tmp_path / "residual.h5"
    model.save(path)
    x = np.random.default_rng(4).normal(size=(4, 6, 6, 3)).astype(np.float32)
    _, output = _rate_output(path, x)
    assert_over_time_equals(output, model.predict(x, verbose=0), N_STEPS)


def test_tf_keras_hdf5_suffix(tmp_path):
    model = randomize_weights(tf_keras_residual(), seed=5)
    path = tmp_path / "residual.h5"
    model.save(path)
    renamed = tmp_path / "residual.hdf5"
    shutil.move(path, renamed)
    x = np.random.default_rng(5).normal(size=(3, 6, 6, 3)).astype(np.float32)
    _, output = _rate_output(renamed, x)
    assert_over_time_equals(output, model.predict(x, verbose=0), N_STEPS)


def test_tf_keras_h5_per_layer_options_use_saved_layer_names(tmp_path):
    model = tf_keras.Sequential(
        [TL.InputLayer(input_shape=(5,)), TL.Dense(4, activation="relu", name="hidden"), TL.Dense(2, name="out")]
    )
    randomize_weights(model)
    path = tmp_path / "named.h5"
    model.save(path)
    x = np.random.default_rng(6).normal(size=(3, 5)).astype(np.float32)
    net, output = _rate_output(path, x, scale_firing_rates={"hidden": 4.0})
    assert net.graph["hidden.neurons"].gain == pytest.approx(4.0)
    assert_over_time_equals(output, model.predict(x, verbose=0), N_STEPS)


# ------------------------------------------------------------------------ Keras 3
def keras_model():
    inputs = keras.Input((6, 6, 2))
    x = L.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    skip = x
    x = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = L.Add()([x, skip])
    x = L.AveragePooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(5, activation="relu")(x)
    return keras.Model(inputs, L.Dense(3)(x))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras3_file_matches_the_saved_model(tmp_path, suffix):
    model = randomize_weights(keras_model())
    path = tmp_path / f"model{suffix}"
    model.save(path)
    x = random_inputs(model)
    _, output = _rate_output(path, x)
    assert_over_time_equals(output, keras_outputs(model, x)[0], N_STEPS)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras3_sequential_file_matches(tmp_path, suffix):
    model = keras.Sequential(
        [keras.Input((5, 5, 2)), L.Conv2D(3, 3, activation="relu"), L.GlobalAveragePooling2D(),
         L.Dense(2, activation="softmax")]
    )
    randomize_weights(model)
    path = tmp_path / f"seq{suffix}"
    model.save(path)
    twin = keras.Sequential(
        [keras.Input((5, 5, 2)), L.Conv2D(3, 3, activation="relu"), L.GlobalAveragePooling2D(), L.Dense(2)]
    )
    twin.set_weights(model.get_weights())
    x = random_inputs(model)
    net, output = _rate_output(path, x)
    assert_over_time_equals(output, keras_outputs(twin, x)[0], N_STEPS)
    assert any("softmax" in note for note in net.notes)


def test_loaded_model_is_kept_as_the_keras_reference(tmp_path):
    model = randomize_weights(keras_model())
    path = tmp_path / "model.keras"
    model.save(path)
    net = snnconvert.convert(path, neuron_type="rate")
    assert isinstance(net.keras_model, keras.Model)
    for saved, loaded in zip(model.get_weights(), net.keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, loaded)
    # The loaded model converts to the same network as the live one.
    check_rate_matches_keras(net.keras_model)


@pytest.mark.parametrize("suffix", [".H5", ".KERAS"])
def test_uppercase_suffix_is_accepted(tmp_path, suffix):
    model = randomize_weights(keras_model())
    saved = tmp_path / f"model{suffix.lower()}"
    model.save(saved)
    path = saved.rename(tmp_path / f"MODEL{suffix}")
    x = random_inputs(model)
    _, output = _rate_output(path, x)
    assert_over_time_equals(output, keras_outputs(model, x)[0], N_STEPS)
