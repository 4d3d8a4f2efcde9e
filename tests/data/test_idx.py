"""`read_idx` on files written here, byte by byte, and on broken ones."""

import gzip
import struct

import numpy as np
import pytest

from snnconvert.data import read_idx

# Type codes from the IDX specification, spelled out independently of the
# reader so that a wrong table in the reader fails these tests.
TYPE_CODES = {
    np.dtype("uint8"): 0x08,
    np.dtype("int8"): 0x09,
    np.dtype("int16"): 0x0B,
    np.dtype("int32"): 0x0C,
    np.dtype("float32"): 0x0D,
    np.dtype("float64"): 0x0E,
}


def idx_bytes(array, type_code=None):
    array = np.asarray(array)
    code = TYPE_CODES[array.dtype] if type_code is None else type_code
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def sample_array(dtype):
    rng = np.random.default_rng(7)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        values = rng.normal(scale=1e3, size=(2, 3, 4))
        values.flat[0] = -0.0
        values.flat[1] = np.finfo(dtype).max
        return values.astype(dtype)
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, size=(2, 3, 4), endpoint=True, dtype=dtype)
    # The extremes catch sign and byte-order mistakes.
    values.flat[0] = info.min
    values.flat[1] = info.max
    return values


@pytest.mark.parametrize("dtype", list(TYPE_CODES), ids=lambda dt: dt.name)
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_round_trip_every_type(tmp_path, dtype, compress):
    expected = sample_array(dtype)
    content = idx_bytes(expected)
    path = tmp_path / ("sample.idx.gz" if compress else "sample.idx")
    path.write_bytes(gzip.compress(content) if compress else content)

    result = read_idx(path)

    assert result.dtype == dtype
    assert result.dtype.isnative
    assert result.shape == (2, 3, 4)
    np.testing.assert_array_equal(result, expected)
    assert result.flags.writeable


def test_reads_known_header_layout(tmp_path):
    # Hand-written MNIST-style label file: magic 2049, count 3, labels 7 2 1.
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(bytes.fromhex("00000801 00000003 070201"))

    result = read_idx(str(path))

    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, [7, 2, 1])


def test_compression_detected_from_content_not_name(tmp_path):
    expected = np.arange(12, dtype=np.uint8).reshape(3, 4)
    raw_named_gz = tmp_path / "raw.gz"
    raw_named_gz.write_bytes(idx_bytes(expected))
    gz_named_raw = tmp_path / "compressed"
    gz_named_raw.write_bytes(gzip.compress(idx_bytes(expected)))

    np.testing.assert_array_equal(read_idx(raw_named_gz), expected)
    np.testing.assert_array_equal(read_idx(gz_named_raw), expected)


def test_empty_array(tmp_path):
    path = tmp_path / "empty.idx"
    path.write_bytes(idx_bytes(np.zeros((0, 5), dtype=np.int16)))

    assert read_idx(path).shape == (0, 5)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_truncated_payload(tmp_path, compress):
    content = idx_bytes(np.arange(100, dtype=np.uint8).reshape(10, 10))[:-7]
    path = tmp_path / "short.idx"
    path.write_bytes(gzip.compress(content) if compress else content)

    with pytest.raises(ValueError, match="truncated") as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "100 data bytes" in message and "holds 93" in message


def test_truncated_gzip_stream(tmp_path):
    content = gzip.compress(idx_bytes(np.arange(4000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(content[: len(content) // 2])

    with pytest.raises(ValueError, match="broken gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip_checksum(tmp_path):
    content = bytearray(gzip.compress(idx_bytes(np.arange(50, dtype=np.uint8))))
    # The last 8 bytes are the CRC-32 and size; flipping the CRC keeps the
    # stream decodable, so only the integrity check can catch it.
    content[-8] ^= 0xFF
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(content))

    with pytest.raises(ValueError, match="broken gzip stream"):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = tmp_path / "long.idx"
    path.write_bytes(idx_bytes(np.arange(6, dtype=np.uint8)) + b"\x00\x00")

    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(path)


def test_wrong_magic(tmp_path):
    path = tmp_path / "not-idx.bin"
    path.write_bytes(b"PK\x03\x04" + bytes(20))

    with pytest.raises(ValueError, match="bad magic number 50 4b 03 04") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "odd.idx"
    path.write_bytes(idx_bytes(np.arange(3, dtype=np.uint8), type_code=0x0A))

    with pytest.raises(ValueError, match="unknown type code 0x0A") as info:
        read_idx(path)
    assert "0x08 (uint8)" in str(info.value)


def test_zero_dimensions(tmp_path):
    path = tmp_path / "scalar.idx"
    path.write_bytes(bytes([0, 0, 0x08, 0, 42]))

    with pytest.raises(ValueError, match="0 dimensions"):
        read_idx(path)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "too short"),
        (b"\x00\x00", "too short"),
        (bytes([0, 0, 0x08, 3, 0, 0, 0, 10]), "truncated inside its header"),
    ],
    ids=["empty", "half-magic", "half-header"],
)
def test_truncated_header(tmp_path, content, match):
    path = tmp_path / "header.idx"
    path.write_bytes(content)

    with pytest.raises(ValueError, match=match):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nowhere.idx")
