"""engine/core/safetensors_reader.py: hostile headers are refused with CheckpointError before anything is built."""

import json
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as save_tensors

from engine.core.limits import CHECKPOINT_HEADER_MAX_BYTES, CHECKPOINT_HEADER_MAX_DEPTH, JSON_MAX_DEPTH
from engine.core.safetensors_reader import CheckpointError, expected_specs, nesting_depth, read_header
from engine.core.vocab import Vocab
from engine.np2016.checkpoint import load_checkpoint, read_checkpoint_info, to_bytes
from engine.np2016.config import ModelConfig
from engine.np2016.model import NeuralProgrammer

ROOT = Path(__file__).resolve().parents[2]
VOCAB = Vocab(["a", "b", "sum", "count"])


@pytest.fixture(scope="module")
def raw():
    torch.manual_seed(0)
    return to_bytes(NeuralProgrammer(ModelConfig(vocab_size=len(VOCAB), d=4, T=1)).eval(), VOCAB)


def split(raw: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def join(header, data: bytes) -> bytes:
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + data


def refused(source, match: str):
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(source)


def test_deeply_nested_header_is_a_checkpoint_error_not_recursion(raw):
    """Before: RecursionError from json.loads."""
    header, data = split(raw)
    deep = b"[" * 100_000 + b"]" * 100_000
    body = json.dumps(header).encode()[:-1] + b', "x": ' + deep + b"}"
    refused(join(body, data), "nests 100001 levels deep, more than the limit of 8")
    # brackets inside strings are text, not nesting
    header["__metadata__"]["note"] = "[" * 100_000
    assert read_header(join(header, data)).metadata["note"] == "[" * 100_000


def test_deeply_nested_metadata_field_is_refused(raw):
    header, data = split(raw)
    header["__metadata__"]["summary"] = "[" * 50_000 + "]" * 50_000
    refused(join(header, data), f"'summary' nests more than {JSON_MAX_DEPTH} levels deep")


@pytest.mark.parametrize("edit,match", [
    (lambda h: h["embed.weight"].update(data_offsets=[0, 10**12]), "bytes do not hold shape"),
    (lambda h: h["embed.weight"].update(shape=[10**6, 10**6]), "bytes do not hold shape"),
    (lambda h: h["embed.weight"].update(dtype="F8_E4M3"), "unknown dtype"),
    (lambda h: h["embed.weight"].update(shape=[-1, 4]), "invalid shape"),
    (lambda h: h["embed.weight"].update(shape=[10**30] * 100_000), "invalid shape"),
    (lambda h: h["embed.weight"].update(data_offsets=[5, 3]), "invalid data offsets"),
    (lambda h: h["embed.weight"].update(extra=1), "exactly dtype, shape and data_offsets"),
    (lambda h: h["__metadata__"].update(schema=7), "metadata must map names to strings"),
    (lambda h: h.update(ghost={"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}), "offsets do not match"),
], ids=["offsets past the end", "huge shape", "unknown dtype", "negative shape", "100,000 huge dimensions",
        "reversed offsets", "extra key", "non-string metadata", "overlapping tensor"])
def test_inconsistent_tensor_table_is_refused(raw, edit, match):
    header, data = split(raw)
    edit(header)
    refused(join(header, data), match)


def test_header_length_and_truncation_limits(raw, tmp_path):
    refused(struct.pack("<Q", CHECKPOINT_HEADER_MAX_BYTES + 1) + raw[8:], f"limit of {CHECKPOINT_HEADER_MAX_BYTES}")
    refused(raw[:-1], "offsets do not match")  # the last tensor lost a byte
    refused(raw + b"\0", "offsets do not match")  # a trailing byte is not part of any tensor
    path = tmp_path / "cut.safetensors"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError):
        read_checkpoint_info(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_corruption_is_a_checkpoint_error(raw, data):
    """Random overwrites, cuts and insertions: loading either succeeds or raises CheckpointError."""
    blob = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(blob)))
        action = data.draw(st.sampled_from(["overwrite", "cut", "insert"]))
        chunk = data.draw(st.binary(min_size=1, max_size=8))
        if action == "overwrite":
            blob[at:at + len(chunk)] = chunk
        elif action == "cut":
            del blob[at:at + len(chunk)]
        else:
            blob[at:at] = chunk
    try:
        load_checkpoint(bytes(blob))
    except CheckpointError as e:
        assert str(e)


def reference_depth(value) -> int:
    if isinstance(value, (list, dict)):
        items = value.values() if isinstance(value, dict) else value
        return 1 + max(map(reference_depth, items), default=0)
    return 0


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=3), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_nesting_depth_counts_only_structure(value):
    assert nesting_depth(json.dumps(value).encode()) == reference_depth(value)


PEAK_SCRIPT = """
import json, resource, sys
from engine.baselines import load_baseline
from engine.np2016.checkpoint import CheckpointError, load_checkpoint
load_checkpoint(sys.argv[1])  # warm-up: one-off costs of a first load are not the hostile file's
out = {}
for name, loader, path in (("np", load_checkpoint, sys.argv[2]), ("baseline", load_baseline, sys.argv[3])):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        loader(path)
        out[name] = "loaded"
    except CheckpointError as e:
        out[name] = str(e)
    out[name + "_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
# meta-device kernels of the random initialisers would import torch._dynamo (2.3 s, 70 MB): skipped
out["dynamo_imported"] = "torch._dynamo" in sys.modules
print(json.dumps(out))
"""


def test_inflated_config_is_refused_before_allocating(raw, tmp_path):
    """A 2.8 MB file whose config says d=1024 and a 200,000-word vocabulary (before: 1.1 GB peak RSS), and a
    baseline whose config says 6 layers of 1024 (before: about 400 MB) are refused from the header."""
    from engine.baselines import Seq2SeqConfig, build, save_baseline

    header, data = split(raw)
    words = ["<pad>", "<unk>"] + [f"w{i:06d}" for i in range(199_998)]
    cfg = json.loads(header["__metadata__"]["model_config"]) | {"d": 1024, "vocab_size": len(words)}
    header["__metadata__"] |= {"vocab": json.dumps(words), "model_config": json.dumps(cfg)}
    hostile = tmp_path / "hostile.safetensors"
    hostile.write_bytes(join(header, data))
    assert 2_500_000 < hostile.stat().st_size < 3_000_000
    small = save_baseline(tmp_path / "small.safetensors", build("seq2seq", Seq2SeqConfig(emb=4, hidden=4, layers=6)))
    bheader, bdata = split(small.read_bytes())
    bheader["__metadata__"]["config"] = json.dumps({"emb": 1024, "hidden": 1024, "layers": 6, "table_first": False})
    big_baseline = tmp_path / "big_baseline.safetensors"
    big_baseline.write_bytes(join(bheader, bdata))
    good = tmp_path / "good.safetensors"
    good.write_bytes(raw)
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(good), str(hostile), str(big_baseline)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["np"].startswith("weight ") and "expected (" in out["np"], out
    assert out["baseline"].startswith("weight ") and "1024" in out["baseline"], out
    assert out["np_growth_mb"] < 100 and out["baseline_growth_mb"] < 100, out
    assert out["dynamo_imported"] is False


def test_meta_build_does_not_touch_other_threads():
    """The meta device and the skipped initialisation are thread-local: the app loads while others train."""
    inside, release = threading.Event(), threading.Event()

    def build_slowly():
        def build():
            inside.set()
            release.wait(10)
            return torch.nn.Linear(3, 4)
        return expected_specs(build)

    worker = threading.Thread(target=build_slowly)
    worker.start()
    assert inside.wait(10)
    try:
        weight = torch.nn.init.normal_(torch.zeros(50))
        assert weight.device.type == "cpu" and weight.abs().sum() > 0
    finally:
        release.set()
        worker.join()


def test_header_depth_limit_leaves_room_for_valid_files(raw):
    header, _ = split(raw)
    assert nesting_depth(json.dumps(header).encode()) == 3 < CHECKPOINT_HEADER_MAX_DEPTH
    empty = save_tensors({})
    assert read_header(empty).tensors == {}
