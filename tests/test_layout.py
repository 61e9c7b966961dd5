"""The layout tells the truth: no import cycle between modules, few imports hidden inside
functions, no module too long to read. (The layers themselves are import-linter's contract in
pyproject.toml, checked by `lint-imports` in scripts/test.)"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

PACKAGE = Path(__file__).parent.parent / "broadcast"
MAX_LINES = 500
MAX_IN_FUNCTION_IMPORTS = 15


def in_function_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset > 0:
                name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if (isinstance(node, ast.ImportFrom) and node.level) or (name or "").startswith("broadcast"):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}")
    return found


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("broadcast", include_external_packages=False)
    modules = sorted(graph.modules)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m)} for m in modules}
    # A package's __init__ importing its own submodules is its face, not a cycle.
    for m in modules:
        edges[m] = {i for i in edges[m] if not i.startswith(m + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:          # Tarjan, iterative enough for our depth
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for m in modules:
        if m not in index:
            strongconnect(m)
    assert not cycles, f"import cycles: {cycles}"


def test_few_imports_hide_inside_functions():
    found = in_function_imports()
    assert len(found) <= MAX_IN_FUNCTION_IMPORTS, "\n".join(found)


def test_no_module_over_500_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long
