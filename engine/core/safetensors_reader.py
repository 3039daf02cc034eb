"""The one reader of .safetensors files, for every checkpoint kind (Neural Programmer, LSTM baselines).

A .safetensors file is an 8-byte little-endian header length n, n bytes of JSON, then the tensors' bytes.
`read_header` checks the header alone (its length, its nesting before json.loads, string metadata, known dtypes,
shapes and offsets that tile the data exactly) without reading any tensor; `read_tensors` compares the tensor
table with what the caller expects before loading any tensor, then refuses NaN and infinity. Every failure is
a `CheckpointError` saying what is wrong. Nothing is ever unpickled.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load as load_tensors
from torch.overrides import TorchFunctionMode

from engine.core.io.examples import nesting_depth  # re-exported: the reader's depth check
from engine.core.io.input_file import TooLargeError, open_input, read_limited
from engine.core.limits import CHECKPOINT_HEADER_MAX_BYTES as MAX_HEADER_BYTES
from engine.core.limits import CHECKPOINT_HEADER_MAX_DEPTH as MAX_HEADER_DEPTH
from engine.core.limits import CHECKPOINT_MAX_BYTES as MAX_FILE_BYTES
from engine.core.limits import JSON_MAX_DEPTH

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
DTYPE_NAMES = {torch_dtype: name for name, torch_dtype in DTYPES.items()}


class CheckpointError(ValueError):
    """The file is not a valid checkpoint of the expected kind; the message says why."""


def _quote(name: str, limit: int = 80) -> str:
    """A user-supplied name for a message: quoted, and cut so that a huge name cannot flood it."""
    return repr(name[:limit]) + ("…" if len(name) > limit else "")


TensorSpec = tuple[str, tuple[int, ...]]  # (safetensors dtype name such as "F32", shape)


@dataclass(frozen=True)
class Header:
    """What a .safetensors header says: string metadata and every tensor's dtype and shape."""

    metadata: dict[str, str]
    tensors: dict[str, TensorSpec]


def read_source(source, what: str = "checkpoint") -> bytes:
    """The raw bytes of a path or bytes, refusing anything larger than MAX_FILE_BYTES before reading it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    else:
        with _reading(source, what) as path:
            raw = read_limited(path, MAX_FILE_BYTES)  # a regular file only, never more than the limit + 1 byte
    if len(raw) > MAX_FILE_BYTES:
        raise CheckpointError(f"{what} larger than {MAX_FILE_BYTES // 2**20} MB")
    return raw


def _header_bytes(source, what: str) -> tuple[bytes, int]:
    """(the JSON header's bytes, the total file size), reading only the header of a path."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _split_header(bytes(source[:8]), len(source), lambda n: bytes(source[8:8 + n]), what)
    with _reading(source, what) as path, open_input(path, MAX_FILE_BYTES) as (f, size):  # size: fstat's
        return _split_header(f.read(8), size, f.read, what)


@contextmanager
def _reading(source, what: str) -> Iterator[Path]:
    """Path(source), an OSError while reading it raised as the CheckpointError saying why."""
    path = Path(source)
    try:
        yield path
    except FileNotFoundError as e:
        raise CheckpointError(f"{what} not found: {path}") from e
    except TooLargeError as e:
        raise CheckpointError(f"{what} larger than {MAX_FILE_BYTES // 2**20} MB: {path}") from e
    except OSError as e:
        raise CheckpointError(f"cannot read {what} {path}: {e.strerror or e}") from e


def _split_header(prefix: bytes, size: int, read: Callable[[int], bytes], what: str) -> tuple[bytes, int]:
    """Check the 8-byte length `prefix` against the limit and the file `size`, then `read` the header."""
    if size > MAX_FILE_BYTES:
        raise CheckpointError(f"{what} larger than {MAX_FILE_BYTES // 2**20} MB")
    if len(prefix) < 8:
        raise CheckpointError(f"the file is too short to be a .safetensors {what}")
    (n,) = struct.unpack("<Q", prefix)
    if n > MAX_HEADER_BYTES:
        raise CheckpointError(f"the {what}'s header says it is {n} bytes long, more than the limit of "
                              f"{MAX_HEADER_BYTES} (not a .safetensors file?)")
    if 8 + n > size:
        raise CheckpointError(f"the {what}'s header is truncated ({size - 8} bytes after the length, "
                              f"{n} announced)")
    body = read(n)
    if len(body) != n:
        raise CheckpointError(f"the {what}'s header is truncated")
    return body, size


def _parse_json(body: bytes, what: str):
    depth = nesting_depth(body)
    if depth > MAX_HEADER_DEPTH:
        raise CheckpointError(f"the {what}'s header nests {depth} levels deep, more than the limit of "
                              f"{MAX_HEADER_DEPTH} (not a .safetensors file)")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(f"the {what}'s header is not valid JSON (not a .safetensors file?): {e}") from e


def _tensor_spec(name: str, entry, what: str) -> tuple[TensorSpec, tuple[int, int]]:
    """(dtype, shape) and (begin, end) byte offsets of one header entry, each checked for type and size."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CheckpointError(f"{what} tensor {_quote(name)} needs exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise CheckpointError(f"{what} tensor {_quote(name)} has unknown dtype {_quote(str(dtype), 20)}")
    # at most torch's 64 dimensions, each no larger than a file may be (keeps the product below cheap)
    if not (isinstance(shape, list) and len(shape) <= 64
            and all(type(s) is int and 0 <= s <= MAX_FILE_BYTES for s in shape)):
        raise CheckpointError(f"{what} tensor {_quote(name)} has an invalid shape {str(shape)[:100]}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise CheckpointError(f"{what} tensor {_quote(name)} has invalid data offsets {str(offsets)[:100]}")
    if offsets[1] - offsets[0] != math.prod(shape) * DTYPES[dtype].itemsize:
        raise CheckpointError(f"{what} tensor {_quote(name)}: {offsets[1] - offsets[0]} bytes do not hold "
                              f"shape {shape} of {dtype}")
    return (dtype, tuple(shape)), (offsets[0], offsets[1])


def read_header(source, what: str = "checkpoint") -> Header:
    """The checked header of a .safetensors path or bytes, without reading any tensor data."""
    body, size = _header_bytes(source, what)
    header = _parse_json(body, what)
    if not isinstance(header, dict):
        raise CheckpointError(f"the {what}'s header is not a JSON object (not a .safetensors file?)")
    metadata = header.pop("__metadata__", {})
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise CheckpointError(f"the {what}'s metadata must map names to strings")
    tensors, spans = {}, []
    for name, entry in header.items():
        tensors[name], span = _tensor_spec(name, entry, what)
        spans.append(span)
    # the data must be tiled exactly: no gap, no overlap, nothing past the end of the file
    spans.sort()
    data_size = size - 8 - len(body)
    ends = [0] + [end for _, end in spans]
    if any(begin != prev for (begin, _), prev in zip(spans, ends, strict=False)) or ends[-1] != data_size:
        raise CheckpointError(f"the {what}'s tensor offsets do not match its {data_size} data bytes "
                              "(truncated or corrupt file)")
    return Header(metadata=metadata, tensors=tensors)


def check_schema(header: Header, schema: str, what: str = "checkpoint") -> dict[str, str]:
    """The header's metadata, after checking that it declares `schema`."""
    meta = header.metadata
    if "schema" not in meta:
        raise CheckpointError(f"the file has no {what} metadata (a .safetensors file from elsewhere?)")
    if meta["schema"] != schema:
        raise CheckpointError(f"unsupported {what} schema {meta['schema']!r} (expected {schema!r})")
    return meta


def json_field(meta: dict[str, str], key: str, kind: type, what: str = "checkpoint"):
    """A metadata field decoded from JSON and checked to be of `kind` (nesting checked before parsing)."""
    if key not in meta:
        raise CheckpointError(f"{what} metadata field {key!r} is missing")
    text = meta[key]
    if nesting_depth(text.encode("utf-8", "surrogatepass")) > JSON_MAX_DEPTH:
        raise CheckpointError(f"{what} metadata field {key!r} nests more than {JSON_MAX_DEPTH} levels deep")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"{what} metadata field {key!r} is not JSON: {e}") from e
    if not isinstance(value, kind):
        raise CheckpointError(f"{what} metadata field {key!r} must be a JSON {kind.__name__}, "
                              f"not {type(value).__name__}")
    return value


# Initialisers: torch.nn.init's functions and the in-place fills they and modules' reset_parameters call.
_INIT_NAMES = frozenset(name for name in dir(torch.nn.init) if name.endswith("_") and not name.startswith("_")) | {
    "normal_", "uniform_", "fill_", "zero_", "copy_", "random_", "bernoulli_", "exponential_"}


class SkipInitOnMeta(TorchFunctionMode):
    """Makes initialisers no-ops on meta tensors. A meta tensor holds no values, and torch's meta kernels
    of the random fills import torch._dynamo the first time (measured: 2.3 s and 70 MB)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        target = args[0] if args else kwargs.get("tensor")  # torch.nn.init passes its tensor by keyword
        if getattr(func, "__name__", "") in _INIT_NAMES and isinstance(target, torch.Tensor) and target.is_meta:
            return target
        return func(*args, **kwargs)


def expected_specs(build: Callable[[], torch.nn.Module]) -> dict[str, TensorSpec]:
    """(dtype name, shape) of every state-dict entry of the module `build()` returns, built on the meta
    device without initialisation: no memory for its weights, whatever sizes a config claims."""
    with torch.device("meta"), SkipInitOnMeta():  # both modes are thread-local
        module = build()
    return {name: (DTYPE_NAMES.get(t.dtype, str(t.dtype)), tuple(t.shape)) for name, t in module.state_dict().items()}


def check_tensor_table(header: Header, expected: dict[str, TensorSpec], what: str = "checkpoint") -> None:
    """Refuse a header whose tensors differ in name, dtype or shape from `expected`, naming the first."""
    missing, extra = sorted(set(expected) - set(header.tensors)), sorted(set(header.tensors) - set(expected))
    if missing or extra:
        names = ", ".join([*(f"missing {_quote(n)}" for n in missing[:3]), *(f"extra {_quote(n)}" for n in extra[:3])])
        raise CheckpointError(f"{what} weights do not match the model ({len(missing)} missing, {len(extra)} "
                              f"extra: {names})")
    for name, (dtype, shape) in expected.items():
        got_dtype, got_shape = header.tensors[name]
        if (got_dtype, got_shape) != (dtype, shape):
            raise CheckpointError(f"weight {name} has shape {got_shape} {got_dtype}, expected {shape} {dtype}")


def read_tensors(raw: bytes, header: Header, expected: dict[str, TensorSpec],
                 what: str = "checkpoint") -> dict[str, torch.Tensor]:
    """The tensors of `raw` (whose checked header is `header`), once their table matches `expected`."""
    check_tensor_table(header, expected, what)
    try:
        tensors = load_tensors(raw)
    except Exception as e:  # safetensors raises its own error types for corrupt buffers
        raise CheckpointError(f"{what} tensors are corrupt: {e}") from e
    for name, t in tensors.items():
        if (DTYPE_NAMES[t.dtype], tuple(t.shape)) != expected[name]:  # the header was read by another parser
            raise CheckpointError(f"weight {name} does not match its header entry")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError(f"weight {name} contains NaN or infinite values")
    return tensors
