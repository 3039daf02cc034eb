"""A generated section of a Markdown file (docs/RESULTS.md), kept between two marker comments so that the script
that wrote it can replace it in place without touching the rest of the file."""

from __future__ import annotations

from pathlib import Path

from engine.core.io.atomic import write_atomic


def replace_section(path: Path, start: str, end: str, block: str) -> None:
    """Write `block` (which begins with `start` and ends with `end`) over the section between those markers in
    `path`, or add it at the end when the file has no such section (or does not exist yet)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if start in text and end in text.split(start, 1)[1]:
        head, rest = text.split(start, 1)
        text = head + block.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block if text else block
    write_atomic(path, text)
