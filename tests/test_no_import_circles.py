"""No import circles in the engine, the app or among the benchmark scripts, found by reading their imports with
`ast`.

Every import counts, at the top of a module or inside a function: a function-level import only postpones a
circle to the call, and a script that imports another script which imports it back runs its own top level twice
(once as __main__, once as benchmarks.x). explorer/ has none either: the checkpoint picker asks the registry
(explorer/checkpoints.py) for an entry's family instead of knowing the 2017 model's module.
`python tests/test_no_import_circles.py [PACKAGE ...]` lists each package's.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED_PACKAGES = ("benchmarks", "engine", "explorer")


def module_name(path: Path, root: Path) -> str:
    """benchmarks/reproduce.py -> benchmarks.reproduce; engine/baselines/__init__.py -> engine.baselines."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str, path: Path) -> str:
    """The package a relative import in `module` starts from: the module itself for an __init__.py."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported_modules(tree: ast.AST, module: str, path: Path, known: set[str]) -> set[str]:
    """The `known` modules that an import anywhere in the tree names, relative imports resolved against the
    module's own package. `from a.b import c` names the submodule a.b.c when there is one (a.b, the package,
    is then only its container: already importing when a.b's own __init__ imports its parts), else a.b."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = package_of(module, path).split(".")
                anchor = ".".join(package[:len(package) - (node.level - 1)])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in known else base)
    return (names & known) - {module}


def import_graph(packages: tuple[str, ...], root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports (anything outside them cannot close a circle here)."""
    paths = {module_name(path, root): path for package in packages for path in sorted((root / package).rglob("*.py"))}
    known = set(paths)
    return {module: imported_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), module, path,
                                     known)
            for module, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: each a strongly connected group of two or more modules, sorted (Tarjan's algorithm,
    iterative so a long import chain cannot hit the recursion limit)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            nxt = next(successors, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)


def circles_touching(package: str, graph: dict[str, set[str]]) -> list[list[str]]:
    return [group for group in circles(graph) if any(m.split(".")[0] == package for m in group)]


@pytest.mark.parametrize("package", SCANNED_PACKAGES)
def test_no_import_circles(package):
    found = circles_touching(package, import_graph(SCANNED_PACKAGES))
    assert not found, f"import circles in {package}/: " + "; ".join(" <-> ".join(g) for g in found)


def test_finder_sees_function_level_and_relative_circles(tmp_path):
    """The finder itself: a circle closed by a function-level import, one by relative imports, and none in a
    plain chain or in a package's __init__ importing its own parts."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def later():\n    import pkg.a\n")
    (package / "c.py").write_text("from .sub import d\n")
    (package / "sub" / "d.py").write_text("from ..c import name\n")
    (package / "e.py").write_text("from pkg.a import thing\n")  # imports into a circle, is not in one
    # a package whose __init__ imports its parts, one part importing a sibling through the package: no circle
    (package / "parts").mkdir()
    (package / "parts" / "__init__.py").write_text("from .p import thing\n")
    (package / "parts" / "p.py").write_text("from . import q\n")
    (package / "parts" / "q.py").write_text("")
    assert circles(import_graph(("pkg",), tmp_path)) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.sub.d"]]


if __name__ == "__main__":
    wanted = tuple(sys.argv[1:]) or SCANNED_PACKAGES
    graph = import_graph(SCANNED_PACKAGES)
    for package in wanted:
        found = circles_touching(package, graph)
        print(f"{package}: {len(found)} circle(s)")
        for group in found:
            print("  " + " <-> ".join(group))
