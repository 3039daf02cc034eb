"""The model families, by one id each, and which one a checkpoint file is: everything that must tell them apart
(the CLI's commands, the app's pickers, the model card) asks here, once, instead of sniffing a file itself.

    np2016   the 2016 model (Neelakantan, Le, Sutskever) on the paper's synthetic tables: engine/np2016/
    wtq2017  the 2017 model (Neelakantan et al.) on WikiTableQuestions' real tables: engine/wtq2017/
"""

from __future__ import annotations

from pathlib import Path

from engine.core.safetensors_reader import CheckpointError, read_header
from engine.np2016 import checkpoint as np2016_checkpoint
from engine.wtq2017 import checkpoint as wtq2017_checkpoint
from engine.wtq2017.ensemble import is_ensemble_file

NP2016, WTQ2017 = "np2016", "wtq2017"
# the "schema" of each family's checkpoint metadata (kept as shipped: the files carry it)
SCHEMAS = {NP2016: np2016_checkpoint.SCHEMA, WTQ2017: wtq2017_checkpoint.SCHEMA}


def family_of(source) -> str:
    """The id of a checkpoint's family (a path or its bytes) from its header's schema alone; CheckpointError
    for a file no family reads."""
    if isinstance(source, str | Path) and is_ensemble_file(source):  # several 2017 models answering as one
        return WTQ2017
    schema = read_header(source).metadata.get("schema")
    for family, known in SCHEMAS.items():
        if schema == known:
            return family
    expected = " or ".join(repr(known) for known in SCHEMAS.values())
    raise CheckpointError(f"unsupported checkpoint schema {str(schema)[:80]!r} (expected {expected})")


def family_id(source) -> str:
    """The id of `source`'s family; NP2016 for a file no family reads, so that the 2016 loader, the one callers
    fall back to, reports in full what is wrong with it."""
    try:
        return family_of(source)
    except (CheckpointError, OSError):
        return NP2016

