"""Loading Keras models from files without executing code stored in them.

A model file is untrusted input: before Keras opens it, :mod:`.archive` (``.keras``)
or :mod:`.hdf5` (``.h5``) checks it within fixed bounds and refuses stored code
(:mod:`.config`); Keras then loads it with safe mode on.
"""

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import keras

from snnconvert.errors import ModelLoadError
from snnconvert.loading.archive import check_keras_archive
from snnconvert.loading.failures import explain_load_failure
from snnconvert.loading.hdf5 import check_hdf5_model

_SUFFIXES = (".h5", ".hdf5", ".keras")


def load_keras_model(source: "keras.Model | str | os.PathLike[str]",
                     custom_objects: dict[str, Any] | None = None) -> keras.Model:
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
        check_keras_archive(path)
    else:
        check_hdf5_model(path)
    with _lowercase_suffix(path) as loadable:
        try:
            return keras.models.load_model(
                loadable, custom_objects=custom_objects, compile=False, safe_mode=True
            )
        except Exception as error:  # Keras raises many types; each becomes one clear message
            raise ModelLoadError(explain_load_failure(path, error)) from error


class _lowercase_suffix:
    """Keras recognises only lower-case suffixes; '.H5' files load through a link."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.path.suffix == self.path.suffix.lower():
            return self.path
        self.folder = tempfile.TemporaryDirectory()
        link = Path(self.folder.name) / (self.path.stem + self.path.suffix.lower())
        link.symlink_to(self.path.resolve())
        return link

    def __exit__(self, *exc_info: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.folder is not None:
            self.folder.cleanup()
