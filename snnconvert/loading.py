"""Loading Keras models from files without executing code stored in them."""

import json
import zipfile
from pathlib import Path

import h5py
import keras

from snnconvert.errors import ModelLoadError

_SUFFIXES = (".h5", ".hdf5", ".keras")


def load_keras_model(source, custom_objects=None):
    """A ``keras.Model`` from a live model or a ``.h5``/``.hdf5``/``.keras`` file.

    Files load with Keras safe mode on, so a model that would run stored Python code
    (a ``Lambda`` layer, for instance) is refused rather than executed.

    Raises:
        ModelLoadError: the file is missing, empty, corrupt, not a full model, or
            needs code or custom objects to load.
    """
    if isinstance(source, keras.Model):
        return source
    if not isinstance(source, (str, Path)):
        raise TypeError(
            f"Expected a keras.Model or a path to a .h5/.keras file. Received {type(source).__name__}."
        )
    path = Path(source)
    if not path.exists():
        raise ModelLoadError(f"Model file {str(path)!r} does not exist.")
    if not path.is_file() or path.stat().st_size == 0:
        raise ModelLoadError(f"Model file {str(path)!r} is empty or not a regular file.")
    if path.suffix.lower() not in _SUFFIXES:
        raise ModelLoadError(
            f"Model file {str(path)!r} has suffix {path.suffix!r}; expected one of {_SUFFIXES} "
            "(a Keras model saved with model.save)."
        )
    if path.suffix.lower() == ".keras":
        _check_keras_archive(path)
    else:
        _check_hdf5_model(path)
    try:
        return keras.models.load_model(path, custom_objects=custom_objects, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types; each becomes one clear message
        raise ModelLoadError(_explain_load_failure(path, error)) from error


def _check_hdf5_model(path):
    try:
        with h5py.File(path, "r") as file:
            config = file.attrs.get("model_config")
    except OSError as error:
        raise ModelLoadError(
            f"{str(path)!r} is not a readable HDF5 file (it may be truncated or corrupt): {error}"
        ) from None
    if config is None:
        raise ModelLoadError(
            f"{str(path)!r} holds no model architecture (it may be a weights-only file saved "
            "with save_weights). Build the model in Python, call model.load_weights(path), "
            "and pass the model object to snnconvert instead."
        )
    if isinstance(config, bytes):
        config = config.decode("utf-8")
    _refuse_stored_code(path, json.loads(config))


def _check_keras_archive(path):
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{str(path)!r} is not a valid .keras archive (it may be truncated or corrupt).")
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            raise ModelLoadError(f"{str(path)!r} has no config.json; it is not a saved Keras model.")
        _refuse_stored_code(path, json.loads(archive.read("config.json")))


def _refuse_stored_code(path, config):
    """Lambda layers carry Python bytecode; loading them would run the file's code."""
    lambdas = sorted(_find_lambda_layers(config))
    if lambdas:
        raise ModelLoadError(
            f"{str(path)!r} contains Lambda layer(s) {lambdas}, whose Python code would be "
            "executed on load. snnconvert keeps Keras safe mode on and refuses them. If you "
            "trust the file, load it yourself with keras.models.load_model(path, "
            "safe_mode=False) and pass the model object (the Lambda layer still has no "
            "spiking equivalent)."
        )


def _find_lambda_layers(config):
    if isinstance(config, dict):
        if config.get("class_name") == "Lambda":
            yield config.get("config", {}).get("name", "?")
        for value in config.values():
            yield from _find_lambda_layers(value)
    elif isinstance(config, list):
        for value in config:
            yield from _find_lambda_layers(value)


def _explain_load_failure(path, error):
    text = str(error)
    if "Unknown" in text or "custom_objects" in text or "Could not locate" in text:
        return (
            f"{str(path)!r} uses custom classes or functions Keras does not know: {text.splitlines()[0]} "
            "Pass them with convert(..., custom_objects={'Name': Class})."
        )
    return f"Keras could not load {str(path)!r}: {type(error).__name__}: {text.splitlines()[0] if text else ''}"
