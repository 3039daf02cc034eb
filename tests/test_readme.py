"""README.md is a newcomer's page (issue 20): at most 120 lines, the two commands exactly as CI runs them, and
every link and file path in it and in docs/*.md (docs/RESULTS.md is generated, so not read here) points at
something that exists. The rest of the old README lives in docs/: the command line (docs/cli.md, every command
of `python -m engine`) and the limits (docs/limits.md, every constant of engine/core/limits.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import engine.core.limits as limits

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "RESULTS.md")
PAGES = [README, *DOCS]
MAX_README_LINES = 120

INSTALL = ("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && "
           ".venv/bin/python -m explorer.serve")  # the launcher (explorer/serve.py): warm, then `streamlit run`
TEST = ".venv/bin/python -m pytest -q"

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
PATH = re.compile(r"(?<![\w./-])((?:engine|explorer|benchmarks|tests)/[\w./-]*\.(?:py|js|css|sh))(?![\w/-])")


def broken_links(page: Path, text: str) -> list[str]:
    """Relative links of a Markdown page (images too) whose target is not a file or folder next to it."""
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        if not (page.parent / target.split("#")[0]).exists():
            broken.append(f"{page.name}: ({target})")
    return broken


def missing_paths(text: str) -> list[str]:
    """Paths like engine/np2016/model.py or explorer/state.py named in a text that no file of the repository has."""
    return sorted({p for p in PATH.findall(text) if not (ROOT / p).is_file()})


def test_the_checks_see_a_broken_link_and_a_missing_path():
    text = "[ok](docs/cli.md), ![img](docs/nope.png), [web](https://example.org), `engine/wtq_model.py`, " \
           "`engine/np2016/model.py` and explorer/no_such_page.py."
    assert broken_links(README, text) == ["README.md: (docs/nope.png)"]
    assert missing_paths(text) == ["engine/wtq_model.py", "explorer/no_such_page.py"]


def test_readme_is_one_short_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_keeps_the_two_commands_and_ci_runs_its_test_command():
    text = README.read_text(encoding="utf-8")
    assert f"```bash\n{INSTALL}\n```" in text
    assert f"```bash\n{TEST}\n```" in text
    assert TEST in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "docs/screenshot_ask.png" in text


def test_every_link_points_to_a_file():
    broken = [b for page in PAGES for b in broken_links(page, page.read_text(encoding="utf-8"))]
    assert not broken, "\n".join(broken)


def test_every_code_path_named_in_the_docs_exists():
    missing = [f"{page.relative_to(ROOT)}: {p}" for page in PAGES for p in missing_paths(page.read_text("utf-8"))]
    assert not missing, "\n".join(missing)


def test_readme_links_every_page_of_docs():
    text = README.read_text(encoding="utf-8")
    unlinked = [p.name for p in DOCS if f"(docs/{p.name})" not in text]
    assert not unlinked, f"README.md links no {unlinked}"


def test_the_cli_page_names_every_command():
    help_text = subprocess.run([sys.executable, "-m", "engine", "--help"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout
    commands = re.findall(r"^    ([a-z][a-z0-9-]+)", help_text, flags=re.M)
    assert "train" in commands and "wtq-convert" in commands, help_text
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert not [c for c in commands if f"python -m engine {c} " not in cli]


def test_the_limits_page_lists_every_limit():
    names = [n for n in dir(limits) if n.isupper() and isinstance(getattr(limits, n), (int, float))]
    assert len(names) > 20
    page = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    assert not [n for n in names if f"`{n}`" not in page]
