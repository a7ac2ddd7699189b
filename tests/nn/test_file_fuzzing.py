"""Hypothesis fuzzing of the file readers: model, weights and state files (``load_model``,
``load_weights``, ``nn.load``) and IDX files (``read_idx``, ``decode_idx``).

Arbitrary bytes and mutations of valid files (header fields, array shapes and dtypes, the
``.npy`` headers inside the archive, zip size fields, truncation, flipped bytes) must give either
a result or the library's own error class (``ModelFileError``, ``DatasetError``), never another
exception, and never allocate more than a small multiple of the file's size. The readers run in
a child process under an address-space limit (see ``memory_limited``), so a reader that tries to
allocate gigabytes fails there with a MemoryError instead of exhausting this machine, and the
child measures the peak memory each call allocated.
"""
import copy
import gzip
import io
import json
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import nn
from memory_limited import LimitedReader
from nn.serialization import HEADER

# A reader may allocate this many bytes per byte of file, plus a fixed allowance for the Python
# objects of a model and for the readers' buffers; the exploits this guards against ask for
# gigabytes.
BYTES_PER_FILE_BYTE = 16
FIXED_ALLOWANCE = 4 << 20

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def reader():
    child = LimitedReader()
    yield child
    child.close()


def check(reader, which, content, allowed, extra_allowance=0):
    """Run ``which`` on ``content`` in the child and check the outcome and the memory peak."""
    answer = reader.run(which, content)
    if answer["outcome"] == "error":
        assert answer["error_class"] in allowed, (
            f"{which} raised {answer['error_module']}.{answer['error_class']}: "
            f"{answer['message']}\n{answer['traceback']}")
        assert "allow_pickle" not in answer["message"], answer["message"]
    limit = BYTES_PER_FILE_BYTE * len(content) + FIXED_ALLOWANCE + extra_allowance
    assert answer["peak"] <= limit, (
        f"{which} allocated {answer['peak']} bytes for a file of {len(content)} bytes "
        f"({answer['outcome']}: {answer.get('message', '')[:200]})")
    return answer


# ---------------------------------------------------------------------- model and weights files
def _archive_bytes(entries, compress=False):
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **entries)
    return buffer.getvalue()


def _trained_model():
    """A small compiled model after one epoch, so its file holds optimizer state too."""
    nn.seed(0)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(3,)), nn.Dropout(0.1),
                           nn.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    model.fit(x, np.eye(2, dtype=np.float32)[np.arange(8) % 2], batch_size=4, verbose=0)
    return model


MODEL = _trained_model()


def _entries_of(kind, tmp_dir):
    path = tmp_dir / f"{kind}.npz"
    (MODEL.save if kind == "model" else MODEL.save_weights)(path)
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    header = json.loads(str(entries.pop(HEADER)))
    return header, entries, path.read_bytes()


def _state_entries(tmp_dir):
    path = tmp_dir / "state.npz"
    nn.save({"epoch": 3, "note": "resume", "model": MODEL.state_dict(),
             "optimizer": MODEL.optimizer.state_dict(), "empty": {}}, path)
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    header = json.loads(str(entries.pop(HEADER)))
    return header, entries, path.read_bytes()


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    directory = tmp_path_factory.mktemp("valid")
    files = {kind: _entries_of(kind, directory) for kind in ("model", "weights")}
    files["state"] = _state_entries(directory)
    return files


READER_OF = {"model": "load_model", "weights": "load_weights", "state": "nn_load"}
KINDS = sorted(READER_OF)
MODEL_ERRORS = {"ModelFileError"}

# values a hostile header might hold instead of the right one
ODD_VALUES = st.one_of(
    st.sampled_from([10**9, 2**31, 2**62, 10**30, -1, 0, 1, 2.5, float("nan"), float("inf"), True,
                     None, "", "relu", [], {}, [10**9], [None], {"class_name": "Dense"},
                     [10**6, 10**6], "9" * 50]),
    st.integers(), st.floats(allow_nan=True), st.text(max_size=8),
    st.lists(st.integers(-2, 10**7), max_size=4),
)


def _paths(value, prefix=()):
    """Every path (a tuple of keys and indices) into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


def _delete(value, path):
    *parent_path, last = path
    parent = value
    for key in parent_path:
        parent = parent[key]
    del parent[last]
    return value


@st.composite
def mutated_header_files(draw, valid):
    kind = draw(st.sampled_from(KINDS))
    header, entries, _ = valid[kind]
    header = copy.deepcopy(header)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(header))
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and draw(st.booleans()):
            header = _delete(header, path)
        else:
            header = _replace(header, path, draw(ODD_VALUES))
    entries = dict(entries)
    entries[HEADER] = np.array(json.dumps(header))
    return kind, _archive_bytes(entries)


DTYPES = ["float16", "float32", "float64", "int8", "int64", "uint8", "bool", "complex64",
          "<U3", "S2", "V4", ">f4"]


@st.composite
def mutated_array_files(draw, valid):
    kind = draw(st.sampled_from(KINDS))
    header, entries, _ = valid[kind]
    entries = dict(entries)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(entries)))
        action = draw(st.sampled_from(["shape", "dtype", "delete", "add", "non-finite"]))
        if action == "delete":
            del entries[name]
            if not entries:
                break
        elif action == "add":
            entries["weights/" + draw(st.sampled_from(["9.kernel", "0.extra", "0.kernel"]))] = \
                np.zeros(draw(st.lists(st.integers(0, 5), max_size=3)), np.float32)
        elif action == "shape":
            entries[name] = np.zeros(draw(st.lists(st.integers(0, 6), max_size=3)), entries[name].dtype)
        elif action == "dtype":
            entries[name] = np.zeros(entries[name].shape, draw(st.sampled_from(DTYPES)))
        elif entries[name].dtype.kind == "f" and entries[name].size:
            bad = entries[name].copy()
            bad.flat[0] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
            entries[name] = bad
    entries[HEADER] = np.array(json.dumps(header))
    return kind, _archive_bytes(entries, compress=draw(st.booleans()))


def _rewrite_npy_shapes(content, new_shape):
    """Replace every ``'shape': (...)`` in the archive's .npy headers, keeping their length."""
    out = bytearray(content)
    marker = b"'shape': ("
    start = 0
    while (found := out.find(marker, start)) != -1:
        begin = found + len(marker)
        end = out.find(b")", begin)
        text = (", ".join(str(n) for n in new_shape) + ("," if len(new_shape) == 1 else "")).encode()
        if len(text) <= end - begin:
            out[begin:end] = text + b" " * (end - begin - len(text))
        start = end
    return bytes(out)


def _rewrite_zip_sizes(content, value):
    """Write ``value`` into the uncompressed-size fields of every local and central zip header."""
    out = bytearray(content)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (found := out.find(signature, start)) != -1:
            if found + offset + 4 <= len(out):
                out[found + offset:found + offset + 4] = struct.pack("<I", value)
            start = found + 4
    return bytes(out)


@st.composite
def byte_mutated_files(draw, valid):
    kind = draw(st.sampled_from(KINDS))
    content = valid[kind][2]
    action = draw(st.sampled_from(["npy shape", "zip size", "flip", "truncate", "splice"]))
    if action == "npy shape":
        shape = draw(st.lists(st.sampled_from([0, 1, 3, 10**5, 10**9, 2**31 - 1]), min_size=1,
                              max_size=3))
        content = _rewrite_npy_shapes(content, shape)
    elif action == "zip size":
        content = _rewrite_zip_sizes(content, draw(st.sampled_from([0, 1, 2**20, 2**31, 2**32 - 1])))
    elif action == "flip":
        raw = bytearray(content)
        for position in draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)):
            raw[position] ^= draw(st.integers(1, 255))
        content = bytes(raw)
    elif action == "truncate":
        content = content[:draw(st.integers(0, len(content) - 1))]
    else:
        position = draw(st.integers(0, len(content)))
        content = content[:position] + draw(st.binary(max_size=64)) + content[position:]
    return kind, content


@FAST
@given(content=st.binary(max_size=4096))
@example(content=b"")
@example(content=b"hello, this is a text file\n")
@example(content=b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }")
@example(content=b"PK\x05\x06" + b"\x00" * 18)
def test_arbitrary_bytes_are_refused_cleanly(reader, content):
    for which in ("load_model", "load_weights", "nn_load"):
        check(reader, which, content, MODEL_ERRORS)


@FAST
@given(data=st.data())
def test_mutated_headers(reader, valid, data):
    kind, content = data.draw(mutated_header_files(valid))
    check(reader, READER_OF[kind], content, MODEL_ERRORS)


@FAST
@given(data=st.data())
def test_mutated_arrays(reader, valid, data):
    kind, content = data.draw(mutated_array_files(valid))
    check(reader, READER_OF[kind], content, MODEL_ERRORS)


@FAST
@given(data=st.data())
def test_mutated_bytes(reader, valid, data):
    kind, content = data.draw(byte_mutated_files(valid))
    check(reader, READER_OF[kind], content, MODEL_ERRORS)


def test_the_valid_files_load(reader, valid):
    for kind in KINDS:
        answer = check(reader, READER_OF[kind], valid[kind][2], MODEL_ERRORS)
        assert answer["outcome"] == "ok", answer


# ---------------------------------------------------------------------- IDX files
IDX_ERRORS = {"DatasetError", "ChecksumMismatchError"}


def _decompressed_size(content, limit=1 << 24):
    """How many bytes the gzip data in ``content`` really expands to (0 if it is not gzip)."""
    if content[:2] != b"\x1f\x8b":
        return 0
    total = 0
    try:
        stream = gzip.GzipFile(fileobj=io.BytesIO(content))
        while (part := stream.read(1 << 16)) and total < limit:
            total += len(part)
    except (OSError, EOFError, zlib.error):
        pass
    return total


def _idx_bytes(array):
    """The raw IDX encoding of a uint8 or float64 ``array``, built by hand (not by write_idx)."""
    header = bytes([0, 0, {1: 0x08, 8: 0x0E}[array.dtype.itemsize], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, array.dtype.newbyteorder(">")).tobytes()


@st.composite
def idx_files(draw):
    array = np.arange(draw(st.integers(0, 60)), dtype=draw(st.sampled_from([np.uint8, np.float64])))
    array = array.reshape(draw(st.sampled_from([(-1,), (1, -1)])))
    compress = draw(st.booleans())
    raw = bytearray(_idx_bytes(array))
    action = draw(st.sampled_from(["dims", "dtype", "ndim", "truncate", "extend", "flip", "none"]))
    if action == "dims":
        for index in range(raw[3]):
            raw[4 + 4 * index:8 + 4 * index] = struct.pack(
                ">I", draw(st.sampled_from([0, 1, 7, 10**6, 2**31, 2**32 - 1])))
    elif action == "dtype":
        raw[2] = draw(st.integers(0, 255))
    elif action == "ndim":
        raw[3] = draw(st.integers(0, 255))
    elif action == "truncate":
        raw = raw[:draw(st.integers(0, len(raw)))]
    elif action == "extend":
        raw += draw(st.binary(min_size=1, max_size=32))
    elif action == "flip" and raw:
        raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
    content = bytes(raw)
    if compress:
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as stream:
            stream.write(content)
        content = buffer.getvalue()
        if draw(st.booleans()):  # damage the compressed stream too
            cut = draw(st.integers(0, len(content)))
            content = content[:cut] + draw(st.binary(max_size=8))
    return content


@FAST
@given(content=st.one_of(st.binary(max_size=2048), st.binary(max_size=64).map(
    lambda b: b"\x1f\x8b" + b)))
@example(content=b"\x00\x00\x08\x03" + struct.pack(">3I", 2**31, 2**31, 2**31))
@example(content=b"\x00\x00\x0e\x01" + struct.pack(">I", 2**32 - 1))
def test_idx_arbitrary_bytes(reader, content):
    for which in ("read_idx", "decode_idx"):
        check(reader, which, content, IDX_ERRORS, 4 * _decompressed_size(content))


@FAST
@given(content=idx_files())
def test_idx_mutations(reader, content):
    for which in ("read_idx", "decode_idx"):
        check(reader, which, content, IDX_ERRORS, 4 * _decompressed_size(content))


def test_a_gzip_header_promising_much_more_than_it_holds_allocates_only_what_arrives(reader):
    # 2**27 float64 values (1 GiB) promised; within the 1100:1 bound a deflate stream allows for
    # this file size, but the stream ends after 100 bytes of payload
    header = b"\x00\x00\x0e\x01" + struct.pack(">I", 2**27)
    content = gzip.compress(header + b"\x00" * 100) + b"\x00" * 1_000_000  # make the file large enough for the ratio bound
    for which in ("read_idx", "decode_idx"):
        answer = check(reader, which, content, IDX_ERRORS)
        assert answer["outcome"] == "error"
