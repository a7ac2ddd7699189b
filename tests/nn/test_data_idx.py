"""Reading and writing IDX files, including malformed and corrupt ones."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from nn.data import ChecksumMismatchError, DatasetError, decode_idx, read_idx, write_idx
from nn.data.idx import IDX_DTYPES, atomic_output


def idx_bytes(array, code=0x08):
    """Hand-built IDX content, independent of write_idx."""
    array = np.asarray(array)
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(IDX_DTYPES[code]).tobytes()


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_round_trip_every_idx_dtype(tmp_path, compress, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / "data.idx.gz"
    write_idx(path, array, compress=compress)

    loaded = read_idx(path)

    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    assert loaded.flags.writeable
    np.testing.assert_array_equal(loaded, array)


def test_written_file_matches_the_format_byte_for_byte(tmp_path):
    array = np.array([[1, 2, 3], [4, 5, 300]], dtype=np.int16)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a.raw", array, compress=False)

    expected = b"\x00\x00\x0b\x02" + b"\x00\x00\x00\x02\x00\x00\x00\x03" + array.astype(">i2").tobytes()
    assert (tmp_path / "a.raw").read_bytes() == expected
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == expected


def test_reads_hand_built_content_from_memory():
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    raw = idx_bytes(labels)

    np.testing.assert_array_equal(decode_idx(raw), labels)
    np.testing.assert_array_equal(decode_idx(gzip.compress(raw)), labels)


def test_zero_sized_dimension_is_fine(tmp_path):
    write_idx(tmp_path / "empty.gz", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(tmp_path / "empty.gz").shape == (0, 28, 28)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="cannot store dtype"):
        write_idx(tmp_path / "x.gz", np.zeros(3, np.uint16))
    assert list(tmp_path.iterdir()) == []


def test_checksum_is_over_decompressed_content(tmp_path):
    raw = idx_bytes(np.arange(10, dtype=np.uint8))
    digest = hashlib.sha256(raw).hexdigest()
    # Different compression levels give different .gz bytes but the same content.
    for level in (1, 9):
        path = tmp_path / f"level{level}.gz"
        path.write_bytes(gzip.compress(raw, compresslevel=level))
        np.testing.assert_array_equal(read_idx(path, sha256=digest), np.arange(10))
    with pytest.raises(ChecksumMismatchError, match=r"level1\.gz.*expected " + "0" * 64):
        read_idx(tmp_path / "level1.gz", sha256="0" * 64)


def test_wrong_magic(tmp_path):
    path = tmp_path / "bad-magic"
    path.write_bytes(b"\x01\x00" + idx_bytes(np.zeros(4, np.uint8))[2:])
    with pytest.raises(DatasetError, match=r"bad-magic: not an IDX file.*0x01000801"):
        read_idx(path)


def test_unknown_dtype_code(tmp_path):
    path = tmp_path / "bad-code.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x0a\x01\x00\x00\x00\x01\x00"))
    with pytest.raises(DatasetError, match=r"bad-code\.gz: unknown IDX element type code 0x0a"):
        read_idx(path)


@pytest.mark.parametrize("compress", [True, False])
def test_truncated_payload_reports_expected_and_found(tmp_path, compress):
    raw = idx_bytes(np.zeros((3, 4), np.uint8))[:-5]
    path = tmp_path / "short"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    expected = r"short: truncated payload: shape \(3, 4\) of uint8 needs 12 payload bytes, found 7"
    with pytest.raises(DatasetError, match=expected):
        read_idx(path)


@pytest.mark.parametrize("compress", [True, False])
def test_trailing_bytes_are_rejected(tmp_path, compress):
    raw = idx_bytes(np.zeros((3, 4), np.uint8)) + b"xyz"
    path = tmp_path / "long"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    expected = r"long: 3 unexpected trailing bytes: .* needs 12 payload bytes, found 15"
    with pytest.raises(DatasetError, match=expected):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "header"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x02")
    expected = r"header: truncated header: expected 3 dimension sizes \(12 bytes\), found 4"
    with pytest.raises(DatasetError, match=expected):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(DatasetError, match="too short to be an IDX file"):
        read_idx(path)


def test_absurd_header_fails_before_allocating(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + struct.pack(">3I", 2**31, 2**31, 2**31)))
    with pytest.raises(DatasetError, match=r"huge\.gz: truncated payload or corrupt header"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DatasetError, match=r"cut\.gz: corrupt or truncated gzip data"):
        read_idx(path)


def test_corrupt_gzip_stream(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8))))
    compressed[-6] ^= 0xFF  # inside the CRC-32 trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DatasetError, match=r"crc\.gz: corrupt or truncated gzip data"):
        read_idx(path)

    path.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(DatasetError, match=r"crc\.gz: corrupt or truncated gzip data"):
        read_idx(path)


def test_missing_file_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match=r"nothing\.gz: no such file"):
        read_idx(tmp_path / "nothing.gz")


def test_write_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.array([1, 2, 3], np.uint8))
    write_idx(path, np.array([4, 5], np.uint8))
    np.testing.assert_array_equal(read_idx(path), [4, 5])
    assert [p.name for p in tmp_path.iterdir()] == ["labels.gz"]


def test_atomic_output_discards_the_temporary_file_on_error(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temporary:
            temporary.write_bytes(b"new")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["target"]
