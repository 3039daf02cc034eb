"""The engine is importable without the UI: no module in engine/ imports streamlit (checked on the AST)."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
    return names


def test_checker_sees_every_import_form():
    src = "import streamlit as st\nfrom streamlit.x import y\nimportlib.import_module('streamlit')\n"
    for line in src.splitlines():
        assert any(n.split(".")[0] == "streamlit" for n in imported_modules(line)), line
    assert imported_modules("from . import data\nimport torch") == {"torch"}


def test_engine_does_not_import_streamlit():
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        roots = {name.split(".")[0] for name in imported_modules(path.read_text(encoding="utf-8"))}
        assert "streamlit" not in roots, path
