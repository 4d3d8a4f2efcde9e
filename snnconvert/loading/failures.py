"""One clear message for each way ``keras.models.load_model`` fails."""

import re
import zipfile
import zlib

from snnconvert._validation import short_text

# How Keras names a class or function it cannot find (the wording differs by format).
_UNKNOWN_OBJECT = re.compile(
    r"(Could not locate (?:class|function) '[^']+'|Unknown (?:layer|object)[^.:\n]*: '?[^'\n.]+'?)"
)
_DAMAGED_HDF5_TEXT = re.compile(r"Unable to (?:synchronously )?\w+")
# Enough of Keras's error chain to find the cause; the rest is its traceback.
_CHAIN_TEXT_LIMIT = 20_000


def explain_load_failure(path, error):
    text = _error_chain_text(error)
    unknown = re.search(_UNKNOWN_OBJECT, text)
    if unknown or "custom_objects" in text:
        found = short_text(unknown.group(1) if unknown else text)
        return (
            f"{str(path)!r} uses custom classes or functions Keras does not know ({found}). "
            "Import the code that defines them and pass them with "
            "convert(..., custom_objects={'Name': Class}), using the name they were registered under."
        )
    first_line = short_text(error)
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
        parts.append(str(error)[:_CHAIN_TEXT_LIMIT])
        error = error.__cause__ or error.__context__
    return "\n".join(parts)
