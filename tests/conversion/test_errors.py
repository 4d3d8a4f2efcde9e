"""Whatever cannot be converted, loaded or run is refused with a message naming the
culprit: layers, activations and options the converter does not support, model
shapes it cannot size, files that are missing, damaged, hold no model or hold code,
and data or run options that make no sense.

Each check asserts the exception type and that the message names the layer (or
option, file, input) and the offending value, so a user can act on it.
"""

import os
import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from conversion_helpers import assert_message_names, keras_outputs, randomize_weights, seq

import snnconvert
from snnconvert import ConversionError, ModelLoadError

L = keras.layers
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
LABELS = np.array([0, 1, 0, 1, 1, 0])


def small_model():
    model = keras.Sequential(
        [keras.Input((4,), name="features"), L.Dense(3, activation="relu", name="hidden"), L.Dense(2, name="out")]
    )
    return randomize_weights(model)


@pytest.fixture(scope="module")
def net():
    return snnconvert.convert(small_model())


@pytest.fixture(scope="module")
def two_input_net():
    a, b = keras.Input((3,), name="left"), keras.Input((2, 2), name="right")
    joined = L.Concatenate()([L.Dense(2)(a), L.Dense(2)(L.Flatten()(b))])
    return snnconvert.convert(keras.Model([a, b], L.Dense(2, name="out")(joined)))


@pytest.fixture
def data():
    return np.random.default_rng(0).uniform(0, 1, (6, 4)).astype(np.float32)


# ------------------------------------------------------------- unsupported layers
@pytest.mark.parametrize(
    "layer, type_name, input_shape",
    [
        (lambda: L.LSTM(3, name="recurrent"), "LSTM", (5, 4)),
        (lambda: L.LayerNormalization(name="layer_norm"), "LayerNormalization", (4,)),
        (lambda: L.UnitNormalization(name="unit_norm"), "UnitNormalization", (4,)),
    ],
    ids=["LSTM", "LayerNormalization", "UnitNormalization"],
)
def test_unsupported_layer_names_layer_type_and_the_opt_in(layer, type_name, input_shape):
    model = seq(input_shape, layer())
    name = model.layers[-1].name
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, repr(name), type_name, "Supported layer types", "Dense", f"non_spiking=['{name}']")


def test_product_of_two_signals_is_refused_with_the_opt_in():
    x = keras.Input((4,))
    model = keras.Model(x, L.Multiply(name="times")([L.Dense(3)(x), L.Dense(3)(x)]))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'times'", "Multiply", "not a linear operation", "non_spiking=['times']")


def test_subclass_of_a_supported_layer_is_refused():
    """A subclass may change ``call``; it must not silently get the Dense rule."""

    class ScaledDense(L.Dense):
        def call(self, inputs):
            return 2 * super().call(inputs)

    with pytest.raises(ConversionError) as error:
        snnconvert.convert(seq((4,), ScaledDense(3, name="scaled")))
    assert_message_names(error, "'scaled'", "ScaledDense")


def test_live_lambda_layer_is_refused():
    model = seq((4,), L.Lambda(lambda x: x * 2, name="doubling"))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'doubling'", "Lambda")


# ------------------------------------------------------- unsupported activations
@pytest.mark.parametrize(
    "model, layer_name, activation",
    [
        (lambda: seq((4,), L.Dense(3, activation="tanh", name="dense_tanh"), L.Dense(2)), "dense_tanh", "tanh"),
        (lambda: seq((4,), L.Dense(3, activation="tanh", name="out_tanh")), "out_tanh", "tanh"),
        (lambda: seq((5, 5, 2), L.Conv2D(2, 3, activation="sigmoid", name="conv_sig")), "conv_sig", "sigmoid"),
        (lambda: seq((4,), L.Activation("elu", name="act_elu")), "act_elu", "elu"),
        (lambda: seq((4,), L.Dense(3, activation="gelu", name="dense_gelu")), "dense_gelu", "gelu"),
    ],
    ids=["tanh_hidden", "tanh_output", "sigmoid_conv", "elu_activation_layer", "gelu"],
)
def test_unsupported_activation_names_layer_and_activation(model, layer_name, activation):
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model())
    assert_message_names(error, repr(layer_name), repr(activation), "relu", f"non_spiking=['{layer_name}']")


@pytest.mark.parametrize("as_layer", [False, True], ids=["dense_activation", "activation_layer"])
def test_softmax_on_a_hidden_layer_is_refused(as_layer):
    if as_layer:
        model = seq((4,), L.Dense(3), L.Activation("softmax", name="hidden_softmax"), L.Dense(2))
    else:
        model = seq((4,), L.Dense(3, activation="softmax", name="hidden_softmax"), L.Dense(2))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'hidden_softmax'", "'softmax'", "output layer")


# ------------------------------------------------------------ unsupported options
def test_add_with_broadcasting_is_refused():
    a, b = keras.Input((4, 4, 3)), keras.Input((1, 1, 3))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(keras.Model([a, b], L.Add(name="broadcast_add")([a, b])))
    assert_message_names(error, "'broadcast_add'", "(4, 4, 3)", "(1, 1, 3)")


def test_concatenate_on_the_batch_axis_is_refused():
    x = keras.Input((3,))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(keras.Model(x, L.Concatenate(axis=0, name="batch_cat")([x, x])))
    assert_message_names(error, "'batch_cat'", "batch axis")


# --------------------------------------------------------------- convert() options
BAD_OPTIONS = [
    ({"scale_firing_rates": 0}, ["scale_firing_rates", "=0"]),
    ({"scale_firing_rates": -1}, ["scale_firing_rates", "-1"]),
    ({"scale_firing_rates": float("nan")}, ["scale_firing_rates", "nan"]),
    ({"scale_firing_rates": "abc"}, ["scale_firing_rates", "'abc'"]),
    ({"scale_firing_rates": True}, ["scale_firing_rates", "True"]),
    ({"scale_firing_rates": None}, ["scale_firing_rates", "None"]),
    ({"scale_firing_rates": {"hidden": 0}}, ["scale_firing_rates['hidden']", "0"]),
    ({"scale_firing_rates": {"hidden": "x"}}, ["scale_firing_rates['hidden']", "'x'"]),
    ({"scale_firing_rates": {3: 2.0}}, ["scale_firing_rates", "3"]),
    ({"synapse": -0.1}, ["synapse", "-0.1"]),
    ({"synapse": "abc"}, ["synapse", "'abc'"]),
    ({"synapse": float("inf")}, ["synapse", "inf"]),
    ({"synapse": {"hidden": -1}}, ["synapse['hidden']", "-1"]),
    ({"neuron_type": "lif2"}, ["neuron_type", "'lif2'", "'spiking'", "'rate'", "'lif'"]),
    ({"neuron_type": 3}, ["neuron_type", "3"]),  # None is the default (auto picks the neuron)
    (dict(scale_firing_rates=-float("inf")), ["scale_firing_rates", "-inf"]),
    (dict(scale_firing_rates=[10]), ["scale_firing_rates", "[10]"]),
    (dict(synapse=True), ["synapse", "True"]),
    (dict(synapse={"hidden": "slow"}), ["synapse['hidden']", "'slow'"]),
    (dict(max_pooling="max"), ["max_pooling", "'max'", "'spiking'", "'average'"]),
]


@pytest.mark.parametrize("options, parts", BAD_OPTIONS, ids=[repr(options) for options, _ in BAD_OPTIONS])
def test_bad_option_values_raise_value_error(options, parts):
    with pytest.raises(ValueError) as error:
        snnconvert.convert(small_model(), **options)
    assert_message_names(error, *parts)


@pytest.mark.parametrize("option", ["scale_firing_rates", "synapse"])
@pytest.mark.parametrize("layer", ["no_such_layer", "out"], ids=["missing_layer", "layer_without_neurons"])
def test_per_layer_option_naming_a_layer_without_neurons_is_refused(option, layer):
    value = {layer: 2.0} if option == "scale_firing_rates" else {layer: 0.01}
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(small_model(), **{option: value})
    assert_message_names(error, option, repr(layer), "'hidden'")


def test_option_errors_come_before_the_file_is_read(tmp_path):
    with pytest.raises(ValueError, match="scale_firing_rates"):
        snnconvert.convert(tmp_path / "missing.h5", scale_firing_rates=-1)


# ------------------------------------------------------------------ model shapes
@pytest.mark.parametrize(
    "layer",
    [lambda: L.GlobalAveragePooling1D(), lambda: L.Dense(2)],
    ids=["GlobalAveragePooling1D", "Dense"],
)
def test_unknown_input_dimensions_are_refused(layer):
    inputs = keras.Input((None, 3), name="variable_length")
    model = keras.Model(inputs, layer()(inputs))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'variable_length'", "(None, None, 3)", "unknown")


def test_unbuilt_sequential_is_refused():
    model = keras.Sequential([L.Dense(2)], name="unbuilt")
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'unbuilt'", "input shape")


def test_subclassed_model_is_refused():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__(name="custom_model")
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Custom()
    model(np.zeros((1, 3), np.float32))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'custom_model'", "subclassed")


@pytest.mark.parametrize("source", [42, L.Dense(2), None], ids=["int", "layer", "None"])
def test_not_a_model_or_path_raises_type_error(source):
    with pytest.raises(TypeError) as error:
        snnconvert.convert(source)
    assert_message_names(error, type(source).__name__)


def test_live_tf_keras_model_message_says_keras_2():
    tf_keras = pytest.importorskip("tf_keras")
    model = tf_keras.Sequential([tf_keras.layers.Dense(2, input_shape=(3,))])
    with pytest.raises((TypeError, ConversionError)) as error:
        snnconvert.convert(model)
    message = str(error.value).lower()
    assert "tf_keras" in message or "keras 2" in message


# ------------------------------------------------------------ unknown image sizes
def variable_size_cnn():
    inputs = keras.Input((None, None, 1), name="any_size_image")
    x = L.Conv2D(2, 3, activation="relu")(inputs)
    return keras.Model(inputs, L.Dense(2)(L.GlobalAveragePooling2D()(x)))


@pytest.mark.parametrize("source", ["live", ".keras", ".h5"])
def test_image_input_of_unknown_size_is_refused(tmp_path, source):
    model = variable_size_cnn()
    if source != "live":
        model.save(tmp_path / f"cnn{source}")
        model = tmp_path / f"cnn{source}"
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(model)
    assert_message_names(error, "'any_size_image'", "(None, None, None, 1)", "unknown", "keras.Input(shape=")


# ------------------------------------------------------------------------ files
def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.h5"
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "does not exist")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_empty_file(tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    path.touch()
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(str(path))
    assert_message_names(error, str(path), "empty")


def test_directory_instead_of_file(tmp_path):
    path = tmp_path / "folder.keras"
    path.mkdir()
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "not a regular file")


@pytest.mark.parametrize("suffix", [".txt", ".pb", ""])
def test_wrong_suffix(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    small_model().save(tmp_path / "model.keras")
    (tmp_path / "model.keras").rename(path)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), ".keras", ".h5")


@pytest.fixture
def saved_h5(tmp_path):
    path = tmp_path / "valid.h5"
    randomize_weights(small_model()).save(path)
    return path


@pytest.fixture
def saved_keras(tmp_path):
    path = tmp_path / "valid.keras"
    randomize_weights(small_model()).save(path)
    return path


def test_truncated_h5(saved_h5, tmp_path):
    data = saved_h5.read_bytes()
    path = tmp_path / "truncated.h5"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "HDF5", "truncated")


def test_truncated_keras_archive(saved_keras, tmp_path):
    data = saved_keras.read_bytes()
    path = tmp_path / "truncated.keras"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), ".keras archive")


def test_text_file_renamed_h5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("this is not an HDF5 file\n")
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "not a readable HDF5 file")


def test_keras_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "notes.keras"
    path.write_text('{"class_name": "Sequential"}')
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "not a valid .keras archive")


def test_h5_file_saved_as_keras(saved_h5, tmp_path):
    path = tmp_path / "really_h5.keras"
    path.write_bytes(saved_h5.read_bytes())
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "not a valid .keras archive")


def test_zip_without_config(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "config.json")


def test_keras_archive_with_corrupt_config(saved_keras, tmp_path):
    path = tmp_path / "corrupt_config.keras"
    with zipfile.ZipFile(saved_keras) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, b"{not json" if name == "config.json" else data)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path))


def test_h5_with_corrupt_model_config(saved_h5, tmp_path):
    path = tmp_path / "corrupt_config.h5"
    path.write_bytes(saved_h5.read_bytes())
    with h5py.File(path, "r+") as file:
        file.attrs["model_config"] = "{not json"
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path))


def test_keras_archive_with_corrupt_weights(saved_keras, tmp_path):
    path = tmp_path / "corrupt_weights.keras"
    with zipfile.ZipFile(saved_keras) as source, zipfile.ZipFile(path, "w") as target:
        names = source.namelist()
        assert "model.weights.h5" in names
        for name in names:
            target.writestr(name, b"junk" if name == "model.weights.h5" else source.read(name))
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path))


@pytest.mark.parametrize("name", ["weights_only.h5", "model.weights.h5"])
def test_weights_only_h5(tmp_path, name):
    weights = tmp_path / "saved.weights.h5"
    small_model().save_weights(weights)
    path = tmp_path / name
    if path != weights:
        weights.rename(path)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "no model architecture", "save_weights", "load_weights")


def test_tf_keras_weights_only_h5(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    model = tf_keras.Sequential([tf_keras.layers.Dense(2, input_shape=(3,))])
    path = tmp_path / "tfk_weights.h5"
    model.save_weights(path)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "no model architecture")


# ------------------------------------------------------------------ damaged files
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_random_bytes_are_refused_as_corrupt(tmp_path, suffix):
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "corrupt")


def test_hdf5_signature_followed_by_noise_is_refused_as_corrupt(tmp_path):
    path = tmp_path / "damaged.h5"
    path.write_bytes(HDF5_SIGNATURE + np.random.default_rng(2).bytes(4096))
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "not a readable HDF5 file", "corrupt")


def test_keras_archive_with_a_damaged_member_names_the_member(tmp_path):
    """The zip directory is intact but the weights' bytes changed: their checksum fails."""
    saved = tmp_path / "saved.keras"
    small_model().save(saved)
    path = tmp_path / "damaged.keras"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        info = target.getinfo("model.weights.h5")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename)  # local header, then the member's bytes
    data[start + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "corrupt", "'model.weights.h5'", "checksum")


# ------------------------------------------------------------- HDF5 without a model
@pytest.mark.parametrize(
    "fill, listed",
    [
        (lambda file: file.create_dataset("data", data=np.arange(10)), "['data']"),
        (lambda file: file.attrs.update({"note": "just an attribute"}), "[]"),
    ],
    ids=["dataset", "attribute_only"],
)
def test_hdf5_file_that_holds_no_model(tmp_path, fill, listed):
    path = tmp_path / "measurements.h5"
    with h5py.File(path, "w") as file:
        fill(file)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "holds no Keras model", "model_config", listed, "model.save")
    assert "save_weights" not in str(error.value)  # not mistaken for a weights file


# ----------------------------------------------------------- code stored in files
def _marker_lambda(marker):
    """A function whose only visible effect is creating ``marker``.

    The path is a constant inside the code object (not a default or closure value), so
    it survives serialization of the lambda's bytecode.
    """
    return eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")  # noqa: S307


def _lambda_model(marker, nested):
    lam = L.Lambda(_marker_lambda(marker), name="marker_lambda")
    if nested:
        inner = seq((4,), lam)
        inner.name = "inner_with_lambda"
        return seq((4,), L.Dense(4), inner, L.Dense(2))
    return seq((4,), L.Dense(4), lam, L.Dense(2))


@pytest.mark.parametrize("nested", [False, True], ids=["top_level", "nested_model"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_layer_in_file_is_refused_without_running_it(tmp_path, suffix, nested):
    marker = tmp_path / "lambda_ran"
    model = _lambda_model(marker, nested)
    assert marker.exists()  # building the model ran the lambda: the marker works
    path = tmp_path / f"with_lambda{suffix}"
    model.save(path)
    marker.unlink()
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "marker_lambda", "safe_mode", "executed")
    assert "safe mode" in str(error.value)
    assert not marker.exists(), "the Lambda's code ran while loading"
    # Control: loading with safe mode off does run the stored code, so the check above
    # would have caught it.
    keras.models.load_model(path, safe_mode=False, compile=False)
    assert marker.exists()


def test_tf_keras_lambda_layer_in_h5_is_refused_without_running_it(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    marker = tmp_path / "lambda_ran"
    model = tf_keras.Sequential(
        [
            tf_keras.layers.InputLayer(input_shape=(4,)),
            tf_keras.layers.Lambda(_marker_lambda(marker), name="marker_lambda"),
            tf_keras.layers.Dense(2),
        ]
    )
    path = tmp_path / "tfk_lambda.h5"
    model.save(path)
    marker.unlink(missing_ok=True)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "marker_lambda", "safe mode")
    assert not marker.exists()


def _save_with_unknown_custom_layer(path, class_name):
    """Save a model using a custom layer class that is unknown when loading."""

    class_ = type(class_name, (L.Layer,), {"call": lambda self, x: x * 2})
    class_.__module__ = "module_that_does_not_exist"
    registered = keras.saving.register_keras_serializable(package="SnnconvertTest")(class_)
    key = f"SnnconvertTest>{class_name}"
    try:
        seq((4,), L.Dense(3), registered(name="custom_layer"), L.Dense(2)).save(path)
    finally:
        keras.saving.get_custom_objects().pop(key, None)
    assert key not in keras.saving.get_custom_objects()
    return class_, key


@pytest.mark.parametrize(
    "suffix",
    [
        ".h5",
        ".keras",
    ],
)
def test_unknown_custom_layer_message_names_the_class(tmp_path, suffix):
    path = tmp_path / f"custom{suffix}"
    _save_with_unknown_custom_layer(path, "DoublerUnknownA" + suffix.strip("."))
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "custom_objects", "DoublerUnknownA")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_unknown_custom_layer_is_refused(tmp_path, suffix):
    path = tmp_path / f"custom{suffix}"
    _save_with_unknown_custom_layer(path, "DoublerUnknownB" + suffix.strip("."))
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(error, str(path), "custom_objects")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_custom_objects_are_passed_to_keras(tmp_path, suffix):
    """With the class supplied the file loads; the layer itself then has no rule."""
    path = tmp_path / f"custom{suffix}"
    class_, key = _save_with_unknown_custom_layer(path, "DoublerKnown" + suffix.strip("."))
    with pytest.raises(ConversionError) as error:
        snnconvert.convert(path, custom_objects={key: class_})
    assert_message_names(error, "'custom_layer'", class_.__name__)


def test_no_file_is_left_open_after_a_failure(saved_h5, tmp_path):
    """A refused file can be removed or overwritten right away (no dangling handle)."""
    path = tmp_path / "weights_only.h5"
    small_model().save_weights(tmp_path / "w.weights.h5")
    os.replace(tmp_path / "w.weights.h5", path)
    with pytest.raises(ModelLoadError):
        snnconvert.convert(path)
    with h5py.File(path, "w") as file:  # fails if h5py still holds it open read-only
        file.attrs["x"] = 1


# ---------------------------------------------------------------- Lambda in a file
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_file_message_names_the_non_spiking_opt_in_and_it_works(tmp_path, suffix):
    model = randomize_weights(
        keras.Sequential([keras.Input((4,)), L.Dense(4, name="d"), L.Lambda(lambda t: t * t, name="square"),
                          L.Dense(2, name="out")])
    )
    path = tmp_path / f"with_lambda{suffix}"
    model.save(path)
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    assert_message_names(
        error, str(path), "['square']", "trust", "keras.models.load_model(path, safe_mode=False)",
        "non_spiking=['square']",
    )
    # Following the message converts the model; rate mode then reproduces Keras.
    loaded = keras.models.load_model(path, safe_mode=False, compile=False)
    net = snnconvert.convert(loaded, neuron_type="rate", non_spiking=["square"])
    x = np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)
    expected = keras_outputs(model, x)[0]
    np.testing.assert_allclose(net.predict(x, 1, progress=False)[:, 0], expected, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------- non-finite data
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_data_in_evaluate_names_the_input_and_sample(net, data, bad):
    data = data.copy()
    data[4, 2] = bad
    with pytest.raises(ValueError) as error:
        net.evaluate(data, LABELS, n_steps=3, batch_size=2, progress=False)
    # Sample 4 sits in the third batch; the message counts from the start of the data.
    assert_message_names(error, "Input 'features'", "NaN or infinite", "sample 4", str(bad), "position (2,)")


def test_non_finite_data_in_predict(net, data):
    data = data.copy()
    data[0, 0] = np.nan
    with pytest.raises(ValueError) as error:
        net.predict(data, 3, progress=False)
    assert_message_names(error, "Input 'features'", "NaN or infinite", "sample 0")


def test_non_finite_data_in_a_dataset(net, data):
    data = data.copy()
    data[3, 1] = np.inf
    dataset = tf.data.Dataset.from_tensor_slices((data, LABELS)).batch(2)
    with pytest.raises(ValueError) as error:
        net.evaluate(dataset, n_steps=3, progress=False)
    assert_message_names(error, "Input 'features'", "NaN or infinite", "sample 3")


def test_float64_values_beyond_float32_range(net, data):
    data = data.astype(np.float64)
    data[1, 1] = 1e300
    with pytest.raises(ValueError) as error:
        net.predict(data, 3, progress=False)
    assert_message_names(error, "Input 'features'", "float32's range")


def test_non_finite_second_input_is_named(two_input_net):
    left, right = np.zeros((2, 3), np.float32), np.zeros((2, 2, 2), np.float32)
    right[1, 0, 1] = np.nan
    with pytest.raises(ValueError) as error:
        two_input_net.predict([left, right], 2, progress=False)
    assert_message_names(error, "Input 'right'", "sample 1", "position (0, 1)")


# --------------------------------------------------------------- data of bad shape
def test_wrong_shape_in_evaluate_names_both_shapes(net):
    with pytest.raises(ValueError) as error:
        net.evaluate(np.zeros((6, 5), np.float32), LABELS, n_steps=3, progress=False)
    assert_message_names(error, "'features'", "(4,)", "(6, 5)")


def test_one_sample_without_a_sample_axis(net):
    with pytest.raises(ValueError) as error:
        net.predict(np.zeros(4, np.float32), 3, progress=False)
    assert_message_names(error, "'features'", "(4,)", "x[None]")


def test_wrong_shape_of_the_second_input_is_named(two_input_net):
    with pytest.raises(ValueError) as error:
        two_input_net.predict([np.zeros((2, 3)), np.zeros((2, 4))], 2, progress=False)
    assert_message_names(error, "'right'", "(2, 2)", "(2, 4)")


def test_list_of_rows_for_one_input_explains_lists(net):
    with pytest.raises(ValueError) as error:
        net.predict([[0.1, 0.2, 0.3, 0.4]] * 3, 3, progress=False)
    assert_message_names(error, "1 input(s)", "3 array(s)", "one array per input")


@pytest.mark.parametrize(
    "x, error_type, parts",
    [
        (None, TypeError, ["NoneType", "[n_samples, ...]"]),
        ({"features": np.zeros((2, 4))}, TypeError, ["dict", "[n_samples, ...]"]),
        (np.float32(1.0), ValueError, ["scalar", "[n_samples, ...]"]),
        (np.full((2, 4), "a"), ValueError, ["'features'", "real numbers", "<U1"]),
        (np.ones((2, 4), np.complex64), ValueError, ["'features'", "real numbers", "complex64"]),
        (np.array([[1, 2, "three", 4]], dtype=object), ValueError, ["'features'", "real numbers", "'three'"]),
    ],
    ids=["None", "dict", "scalar", "strings", "complex", "mixed_objects"],
)
def test_data_that_is_not_an_array_of_real_numbers(net, x, error_type, parts):
    with pytest.raises(error_type) as error:
        net.predict(x, 3, progress=False)
    assert_message_names(error, *parts)


# ------------------------------------------------------------ nonsensical options
RUN_OPTIONS = [
    (dict(n_steps="10"), ["n_steps", "integer", "'10'"]),
    (dict(n_steps=None), ["n_steps", "None"]),
    (dict(dt="0.001"), ["dt", "number", "'0.001'"]),
    (dict(dt=float("inf")), ["dt", "inf"]),
    (dict(batch_size="100"), ["batch_size", "'100'"]),
    (dict(batch_size=2.5), ["batch_size", "2.5"]),
    (dict(seed=-1), ["seed", "-1"]),
    (dict(initial_state="random"), ["initial_state", "'random'"]),
]


@pytest.mark.parametrize("options, parts", RUN_OPTIONS, ids=[repr(o) for o, _ in RUN_OPTIONS])
def test_nonsensical_run_options(net, data, options, parts):
    options = {"n_steps": 3, **options}
    with pytest.raises(ValueError) as error:
        net.run(data, options.pop("n_steps"), progress=False, **options)
    assert_message_names(error, *parts)


EVALUATE_OPTIONS = [
    (dict(n_steps=0), ["n_steps", ">= 1", "n_steps=0"]),
    (dict(n_steps=2.5), ["n_steps", "2.5"]),
    (dict(n_steps="30"), ["n_steps", "'30'"]),
    (dict(dt=0), ["dt", "> 0", "dt=0"]),
    (dict(dt=-0.001), ["dt", "> 0", "dt=-0.001"]),
    (dict(dt="fast"), ["dt", "'fast'"]),
    (dict(batch_size=0), ["batch_size", ">= 1", "batch_size=0"]),
]


@pytest.mark.parametrize("options, parts", EVALUATE_OPTIONS, ids=[repr(o) for o, _ in EVALUATE_OPTIONS])
def test_nonsensical_evaluate_options(net, data, options, parts):
    with pytest.raises(ValueError) as error:
        net.evaluate(data, LABELS, progress=False, **{"n_steps": 3, **options})
    assert_message_names(error, *parts)
