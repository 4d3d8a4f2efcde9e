"""Reader for the IDX format, the container of the official MNIST-style files.

An IDX file is a big-endian header followed by one flat array:

* bytes 0-1: zero;
* byte 2: the element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
  0x0D float32, 0x0E float64;
* byte 3: the number of dimensions, `ndim`;
* `ndim` unsigned 32-bit sizes, one per dimension;
* the elements, big-endian, in C order.

Files are often distributed gzip-compressed; both forms are read.
"""

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

# Type code -> big-endian element type, as defined by the format.
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"
_MAGIC_SIZE = 4
_DIM_SIZE = 4


def read_idx(path):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    Compression is detected from the file content, not its name, so a `.gz`
    file that was decompressed in place still reads.

    Args:
        path: str or `os.PathLike`, the file to read.

    Returns:
        A writable array in native byte order, with the shape and element type
        given by the file header (e.g. `uint8` with shape `(10000, 28, 28)` for
        the MNIST test images).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is not valid IDX: bad magic number, unknown
            type code, truncated header or payload, trailing bytes, or a
            broken gzip stream. The message names the file.
    """
    path = Path(os.fspath(path))
    content = _read_bytes(path)
    dtype, shape, offset = _parse_header(path, content)

    count = _product(shape)
    expected = count * dtype.itemsize
    received = len(content) - offset
    if received != expected:
        problem = "truncated" if received < expected else "has trailing bytes after the data"
        raise ValueError(
            f"IDX file {path} is {problem}: its header declares shape {shape} of "
            f"{dtype.newbyteorder('=').name}, which needs {expected} data bytes after the "
            f"{offset}-byte header, but the file holds {received}. The file is corrupt or "
            "incomplete; download it again."
        )

    array = np.frombuffer(content, dtype=dtype, count=count, offset=offset)
    # `astype` copies: callers get a writable, native-endian array instead of a
    # read-only big-endian view of the file bytes.
    return array.astype(dtype.newbyteorder("=")).reshape(shape)


def _read_bytes(path):
    with open(path, "rb") as f:
        content = f.read()
    if not content.startswith(_GZIP_MAGIC):
        return content
    try:
        return gzip.decompress(content)
    except (EOFError, OSError, zlib.error) as e:
        # A cut-off download ends the gzip stream early (EOFError); a damaged
        # one fails its CRC (BadGzipFile, an OSError) or its inflate (zlib).
        raise ValueError(
            f"IDX file {path} is a broken gzip stream ({e}). The file is truncated or "
            "corrupt; download it again."
        ) from e


def _parse_header(path, content):
    """Return `(dtype, shape, data_offset)` from the header of `content`."""
    if len(content) < _MAGIC_SIZE:
        raise ValueError(
            f"IDX file {path} is too short: expected at least a {_MAGIC_SIZE}-byte magic "
            f"number, received {len(content)} byte(s). The file is truncated or empty."
        )
    zeros, type_code, ndim = content[:2], content[2], content[3]
    if zeros != b"\x00\x00":
        raise ValueError(
            f"IDX file {path} has a bad magic number {content[:_MAGIC_SIZE].hex(' ')}: "
            "an IDX file starts with two zero bytes. This is not an IDX file (or a "
            "corrupt one); check the path."
        )
    if type_code not in _DTYPES:
        known = ", ".join(
            f"0x{code:02X} ({dtype.newbyteorder('=').name})" for code, dtype in _DTYPES.items()
        )
        raise ValueError(
            f"IDX file {path} has unknown type code 0x{type_code:02X} in its magic number. "
            f"Expected one of: {known}. The file is corrupt or not an IDX file."
        )
    if ndim == 0:
        raise ValueError(
            f"IDX file {path} declares 0 dimensions: expected at least 1. The file is "
            "corrupt or not an IDX file."
        )
    offset = _MAGIC_SIZE + _DIM_SIZE * ndim
    if len(content) < offset:
        raise ValueError(
            f"IDX file {path} is truncated inside its header: {ndim} dimension(s) need a "
            f"{offset}-byte header, but the file holds {len(content)} byte(s). Download "
            "it again."
        )
    sizes = np.frombuffer(content, dtype=">u4", count=ndim, offset=_MAGIC_SIZE)
    shape = tuple(int(size) for size in sizes)
    return _DTYPES[type_code], shape, offset


def _product(shape):
    # Python ints, so that a corrupt header with huge sizes cannot overflow
    # into a plausible-looking byte count.
    total = 1
    for size in shape:
        total *= size
    return total
