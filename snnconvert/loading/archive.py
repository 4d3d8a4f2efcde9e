"""Checks of a ``.keras`` archive (a zip) made before Keras opens it.

Every limit is applied to the sizes the archive declares before anything is inflated,
and inflating stops at a bound whatever the archive declares, so a decompression bomb
costs neither memory nor time. The checks read each member once to verify its checksum:
a damaged archive gets a message naming the member instead of Keras's traceback.
"""

import zipfile
import zlib

from snnconvert._validation import short_repr, short_text
from snnconvert.errors import ModelLoadError
from snnconvert.loading.config import MAX_CONFIG_BYTES, parse_config, refuse_stored_code

# A saved model holds three members (config.json, metadata.json, model.weights.h5) plus
# perhaps a few assets.
MAX_ENTRIES = 1000
# Far beyond any model snnconvert can simulate (4 billion float32 weights).
MAX_TOTAL_BYTES = 16 * 2**30
# Deflate compresses real weights and JSON less than 100-fold; a large member that claims
# more is a bomb. Keras applies the same ratio to its members (from 256 MiB on).
MAX_EXPANSION = 100
EXPANSION_FLOOR = 64 * 2**20
_CHUNK = 2**20

# What zipfile raises on damaged or unsupported bytes.
DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def check_keras_archive(path):
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{str(path)!r} is not a valid .keras archive (it may be truncated or corrupt).")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_declared_sizes(path, members)
            damaged = next((info.filename for info in members if not _checksum_holds(path, archive, info)), None)
            config = _read_config(path, archive) if damaged is None else None
    except DAMAGED_ZIP as error:
        raise ModelLoadError(
            f"{str(path)!r} is not a valid .keras archive (it may be truncated or corrupt): {short_text(error)}"
        ) from None
    if damaged is not None:
        raise ModelLoadError(
            f"{str(path)!r} is corrupt: its member {short_repr(damaged)} fails its checksum (the file "
            "was damaged or truncated after saving). Re-save or re-download the model."
        )
    refuse_stored_code(path, parse_config(path, config, "config.json"), "config.json")


def _check_declared_sizes(path, members):
    refused = f"{str(path)!r} is refused before anything in it is decompressed"
    if len(members) > MAX_ENTRIES:
        raise ModelLoadError(
            f"{refused}: it has {len(members):,} members, more than the {MAX_ENTRIES:,} a saved "
            "Keras model could need; it is not a model saved with model.save."
        )
    total = sum(info.file_size for info in members)
    if total > MAX_TOTAL_BYTES:
        raise ModelLoadError(
            f"{refused}: its members declare {total:,} bytes in all, more than the "
            f"{MAX_TOTAL_BYTES:,} bytes snnconvert reads from one model."
        )
    for info in members:
        name = short_repr(info.filename)
        if info.flag_bits & 0x1:
            raise ModelLoadError(f"{refused}: its member {name} is encrypted, which Keras never writes.")
        if info.filename == "config.json" and info.file_size > MAX_CONFIG_BYTES:
            raise ModelLoadError(
                f"{refused}: its config.json declares {info.file_size:,} bytes, more than the "
                f"{MAX_CONFIG_BYTES:,} any saved Keras model needs; the file is corrupt or crafted."
            )
        if info.file_size > EXPANSION_FLOOR and info.file_size > MAX_EXPANSION * info.compress_size:
            raise ModelLoadError(
                f"{refused}: its member {name} would decompress from {info.compress_size:,} to "
                f"{info.file_size:,} bytes, a decompression bomb rather than a saved model."
            )


def _inflate(path, archive, info, limit):
    """The member's bytes in chunks; ``ModelLoadError`` past ``limit`` whatever it declares."""
    produced = 0
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            produced += len(chunk)
            if produced > limit:
                raise ModelLoadError(
                    f"{str(path)!r} is refused: its member {short_repr(info.filename)} "
                    f"decompresses to more than {limit:,} bytes, more than it declares."
                )
            yield chunk


def _checksum_holds(path, archive, info):
    """Whether the member inflates to its declared size and checksum (zipfile checks both)."""
    try:
        for _ in _inflate(path, archive, info, info.file_size):
            pass
    except zipfile.BadZipFile:
        return False
    return True


def _read_config(path, archive):
    try:
        info = archive.getinfo("config.json")
    except KeyError:
        raise ModelLoadError(f"{str(path)!r} has no config.json; it is not a saved Keras model.") from None
    return b"".join(_inflate(path, archive, info, min(info.file_size, MAX_CONFIG_BYTES)))
