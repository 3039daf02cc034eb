"""The engine's layout rules (issue 20), read from the imports with `ast` (tests/test_no_import_circles.py):
`engine.core` imports no model family, a family never imports another, the family registry and the command
line sit above them, no `wtq_*` module is left at the top of engine/, and no module of engine/ or explorer/ is
over 400 lines."""

from __future__ import annotations

from pathlib import Path

from tests.test_no_import_circles import ROOT, import_graph

FAMILIES = ("np2016", "wtq2017")
MAX_LINES = 400


def area(module: str) -> str:
    """engine.np2016.data.tasks -> np2016; engine.families -> families."""
    return module.split(".")[1] if module.count(".") else ""


def test_core_imports_no_family_and_no_family_imports_another():
    broken = []
    for module, imported in import_graph(("engine",)).items():
        for other in imported:
            here, there = area(module), area(other)
            if here == "core" and there != "core":
                broken.append(f"{module} -> {other} (core imports only core)")
            if here in FAMILIES and there in FAMILIES and here != there:
                broken.append(f"{module} -> {other} (a family never imports another)")
            if here in FAMILIES + ("core",) and there in ("cli", "sweep", "families"):
                broken.append(f"{module} -> {other} (the CLI, the sweeps and the registry sit above the families)")
    assert not broken, "\n".join(sorted(broken))


def test_the_rules_see_a_broken_import():
    graph = {"engine.core.vocab": {"engine.np2016.batch"}, "engine.np2016.batch": {"engine.wtq2017.ops"}}
    assert area("engine.core.vocab") == "core" and area("engine.families") == "families"
    assert [m for m, deps in graph.items() for d in deps if area(m) != area(d)] == list(graph)


def test_no_family_module_at_the_top_of_the_engine():
    assert not sorted(p.name for p in (ROOT / "engine").glob("wtq_*.py"))


def test_no_module_over_400_lines():
    paths = [p for package in ("engine", "explorer") for p in sorted((ROOT / package).rglob("*.py"))]
    long = {str(p.relative_to(ROOT)): n for p in paths
            if (n := len(Path(p).read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long
