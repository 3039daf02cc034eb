"""The model families, by one id each: what a checkpoint's schema says it is, its loader, and the plain words
people see. Everything that must tell the families apart (the CLI's commands, the app's pickers, the model card)
asks here, once, instead of sniffing a file itself.

    np2016   the 2016 model (Neelakantan, Le, Sutskever) on the paper's synthetic tables: engine/np2016/
    wtq2017  the 2017 model (Neelakantan et al.) on WikiTableQuestions' real tables: engine/wtq2017/
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.core import safetensors_reader as reader
from engine.core.safetensors_reader import CheckpointError
from engine.np2016 import checkpoint as np2016_checkpoint
from engine.wtq2017 import checkpoint as wtq2017_checkpoint

NP2016, WTQ2017 = "np2016", "wtq2017"


@dataclass(frozen=True)
class Family:
    id: str
    name: str  # for people: what it answers questions about
    paper: str
    schema: str  # the "schema" of its checkpoints' metadata (kept as shipped: files carry it)
    load: Callable  # path or bytes [, device] -> (model in eval mode, vocabulary, info)


FAMILIES = {
    NP2016: Family(NP2016, "synthetic tables", "Neelakantan, Le, Sutskever 2016", np2016_checkpoint.SCHEMA,
                   np2016_checkpoint.load_checkpoint),
    WTQ2017: Family(WTQ2017, "real tables", "Neelakantan et al. 2017", wtq2017_checkpoint.SCHEMA,
                    wtq2017_checkpoint.load_wtq_checkpoint),
}


def family_of(source) -> Family:
    """The family of a checkpoint (a path or its bytes) from its header's schema alone; CheckpointError for a
    file no family reads."""
    schema = reader.read_header(source).metadata.get("schema")
    for family in FAMILIES.values():
        if schema == family.schema:
            return family
    known = " or ".join(repr(f.schema) for f in FAMILIES.values())
    raise CheckpointError(f"unsupported checkpoint schema {str(schema)[:80]!r} (expected {known})")


def is_family(source, family_id: str) -> bool:
    """Whether `source` is a readable checkpoint header of `family_id` (False for an unreadable file, which the
    family's own loader then reports in full)."""
    try:
        return family_of(source).id == family_id
    except (CheckpointError, OSError):
        return False
