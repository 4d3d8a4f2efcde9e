"""Checks of a ``.h5``/``.hdf5`` model file made before Keras opens it."""

import h5py
import numpy as np

from snnconvert._validation import short_repr, short_text
from snnconvert.errors import ModelLoadError
from snnconvert.loading.config import parse_config, refuse_stored_code

# What h5py raises on damaged bytes or attribute types it cannot map to numpy; it uses
# several types, all worded "Unable to ...".
DAMAGED_HDF5 = (OSError, RuntimeError, KeyError, ValueError, TypeError)
_WHERE = "model_config attribute"


def check_hdf5_model(path):
    try:
        with h5py.File(path, "r") as file:
            config = file.attrs.get("model_config")
            attributes, entries = set(file.attrs), sorted(file.keys())
    except DAMAGED_HDF5 as error:
        raise ModelLoadError(
            f"{str(path)!r} is not a readable HDF5 file (it may be truncated or corrupt): {short_text(error)}"
        ) from None
    if config is None:
        raise ModelLoadError(_explain_missing_architecture(path, attributes, entries))
    refuse_stored_code(path, parse_config(path, _config_text(path, config), _WHERE), _WHERE)


def _config_text(path, config):
    """Keras writes the architecture as one JSON string; anything else is not a Keras model."""
    if isinstance(config, bytes):
        return config.decode("utf-8", errors="replace")
    if isinstance(config, str):
        return config
    held = (
        f"an array of {config.dtype} of shape {config.shape}"
        if isinstance(config, np.ndarray)
        else f"a {type(config).__name__}"
    )
    raise ModelLoadError(
        f"{str(path)!r} is not a Keras model file: its {_WHERE} holds {held}, not the JSON "
        "text Keras writes. Pass a model saved with model.save('model.keras') or model.save('model.h5')."
    )


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
        f"attribute and no Keras weights (its top-level entries: {short_repr(shown)}). "
        "Pass a model saved with model.save('model.keras') or model.save('model.h5')."
    )
