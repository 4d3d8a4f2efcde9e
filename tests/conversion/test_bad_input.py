"""Bad input to the Python API gets a specific error naming the problem.

Completes test_errors.py (layers, options, files) and the simulator's validation
tests: damaged files, HDF5 files that hold no model, the way out of a Lambda layer,
unknown image sizes, and data or options that make no sense. Each check asserts the
exception type and that the message names the culprit.
"""

import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from conversion_helpers import assert_message_names, keras_outputs, randomize_weights

import snnconvert
from snnconvert import ConversionError, ModelLoadError

L = keras.layers
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


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


LABELS = np.array([0, 1, 0, 1, 1, 0])


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


CONVERT_OPTIONS = [
    (dict(scale_firing_rates=-float("inf")), ["scale_firing_rates", "-inf"]),
    (dict(scale_firing_rates=[10]), ["scale_firing_rates", "[10]"]),
    (dict(synapse=True), ["synapse", "True"]),
    (dict(synapse={"hidden": "slow"}), ["synapse['hidden']", "'slow'"]),
    (dict(max_pooling="max"), ["max_pooling", "'max'", "'spiking'", "'average'"]),
]


@pytest.mark.parametrize("options, parts", CONVERT_OPTIONS, ids=[repr(o) for o, _ in CONVERT_OPTIONS])
def test_nonsensical_convert_options(options, parts):
    with pytest.raises(ValueError) as error:
        snnconvert.convert(small_model(), **options)
    assert_message_names(error, *parts)
