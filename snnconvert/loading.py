"""Loading Keras models from files without executing code stored in them."""

import json
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

import h5py
import keras

from snnconvert.errors import ModelLoadError

_SUFFIXES = (".h5", ".hdf5", ".keras")
# How Keras names a class or function it cannot find (the wording differs by format).
_UNKNOWN_OBJECT = re.compile(
    r"(Could not locate (?:class|function) '[^']+'|Unknown (?:layer|object)[^.:\n]*: '?[^'\n.]+'?)"
)
# What h5py and zipfile raise on damaged bytes; h5py uses several types, all worded "Unable to ...".
_DAMAGED_HDF5 = (OSError, RuntimeError, KeyError, ValueError)
_DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, OSError)
_DAMAGED_HDF5_TEXT = re.compile(r"Unable to (?:synchronously )?\w+")


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
    if type(source).__module__.startswith("tf_keras"):
        raise TypeError(
            f"Received a tf_keras (Keras 2) {type(source).__name__}; snnconvert works with "
            "Keras 3. Save it with model.save('model.h5') and pass the file path instead."
        )
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
    with _lowercase_suffix(path) as loadable:
        try:
            return keras.models.load_model(
                loadable, custom_objects=custom_objects, compile=False, safe_mode=True
            )
        except Exception as error:  # Keras raises many types; each becomes one clear message
            raise ModelLoadError(_explain_load_failure(path, error)) from error


class _lowercase_suffix:
    """Keras recognises only lower-case suffixes; '.H5' files load through a link."""

    def __init__(self, path):
        self.path = path
        self.folder = None

    def __enter__(self):
        if self.path.suffix == self.path.suffix.lower():
            return self.path
        self.folder = tempfile.TemporaryDirectory()
        link = Path(self.folder.name) / (self.path.stem + self.path.suffix.lower())
        link.symlink_to(self.path.resolve())
        return link

    def __exit__(self, *exc_info):
        if self.folder is not None:
            self.folder.cleanup()


def _check_hdf5_model(path):
    try:
        with h5py.File(path, "r") as file:
            config = file.attrs.get("model_config")
            attributes, entries = set(file.attrs), sorted(file.keys())
    except _DAMAGED_HDF5 as error:
        raise ModelLoadError(
            f"{str(path)!r} is not a readable HDF5 file (it may be truncated or corrupt): {error}"
        ) from None
    if config is None:
        raise ModelLoadError(_explain_missing_architecture(path, attributes, entries))
    if isinstance(config, bytes):
        config = config.decode("utf-8", errors="replace")
    _refuse_stored_code(path, _parse_config(path, config, "model_config attribute"))


def _explain_missing_architecture(path, attributes, entries):
    # Keras 2 weight files carry a "layer_names" attribute; Keras 3 ones hold "layers" and "vars" groups.
    if "layer_names" in attributes or "model_weights" in entries or {"layers", "vars"} & set(entries):
        return (
            f"{str(path)!r} holds only weights, no model architecture (it was saved with "
            "save_weights). Build the model in Python, call model.load_weights(path), "
            "and pass the model object to snnconvert instead."
        )
    shown = entries[:5] + (["..."] if len(entries) > 5 else [])
    return (
        f"{str(path)!r} is an HDF5 file but holds no Keras model: it has no model_config "
        f"attribute and no Keras weights (its top-level entries: {shown}). "
        "Pass a model saved with model.save('model.keras') or model.save('model.h5')."
    )


def _check_keras_archive(path):
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{str(path)!r} is not a valid .keras archive (it may be truncated or corrupt).")
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()  # reads every member and checks its CRC
            names = archive.namelist()
            config = archive.read("config.json") if "config.json" in names else None
    except _DAMAGED_ZIP as error:
        raise ModelLoadError(
            f"{str(path)!r} is not a valid .keras archive (it may be truncated or corrupt): {error}"
        ) from None
    if damaged is not None:
        raise ModelLoadError(
            f"{str(path)!r} is corrupt: its member {damaged!r} fails its checksum (the file was "
            "damaged or truncated after saving). Re-save or re-download the model."
        )
    if config is None:
        raise ModelLoadError(f"{str(path)!r} has no config.json; it is not a saved Keras model.")
    _refuse_stored_code(path, _parse_config(path, config, "config.json"))


def _parse_config(path, text, where):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelLoadError(
            f"{str(path)!r} is corrupt: its {where} is not valid JSON ({error}). Re-save the model."
        ) from None


def _refuse_stored_code(path, config):
    """Lambda layers carry Python bytecode; loading them would run the file's code."""
    lambdas = sorted(_find_lambda_layers(config))
    if lambdas:
        raise ModelLoadError(
            f"{str(path)!r} contains Lambda layer(s) {lambdas}, whose Python code would be "
            "executed on load, so snnconvert keeps Keras safe mode on and refuses the file. "
            "Only if you trust the file: load it yourself with keras.models.load_model(path, "
            "safe_mode=False) and convert the model object with "
            f"non_spiking={lambdas!r}, which runs those layers as non-spiking rate layers "
            "(a Lambda layer has no spiking equivalent)."
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
    text = _error_chain_text(error)
    unknown = re.search(_UNKNOWN_OBJECT, text)
    if unknown or "custom_objects" in text:
        found = unknown.group(1) if unknown else text.strip().splitlines()[0]
        return (
            f"{str(path)!r} uses custom classes or functions Keras does not know ({found}). "
            "Import the code that defines them and pass them with "
            "convert(..., custom_objects={'Name': Class}), using the name they were registered under."
        )
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if _is_damage(error):
        return f"{str(path)!r} is corrupt (damaged or truncated after saving): {first_line}"
    return f"Keras could not load {str(path)!r}: {type(error).__name__}: {first_line}"


def _is_damage(error):
    """Whether ``error`` comes from unreadable bytes rather than from the model itself."""
    while error is not None:
        if isinstance(error, (zipfile.BadZipFile, zlib.error)) or _DAMAGED_HDF5_TEXT.search(str(error)):
            return True
        error = error.__cause__ or error.__context__
    return False


def _error_chain_text(error):
    parts = []
    while error is not None and len(parts) < 10:
        parts.append(str(error))
        error = error.__cause__ or error.__context__
    return "\n".join(parts)
