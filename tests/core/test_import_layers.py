"""The package reads in one direction: no import circle anywhere in gridcity,
and inside gridcity/scorecards each layer imports only itself and the layers
below it.

Read from the source (the AST of every module), so an import inside a
function counts as much as one at the top: a lazy import that closes a circle
is still a circle. Importing a sub-module (``gridcity.a.b``) is not counted as
importing its parent packages, which Python runs first anyway."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gridcity"

# The scorecards' layers, lowest first (gridcity/scorecards/__init__.py).
# ``models`` is the package's models.py; every other module belongs to the
# sub-package it is in.
SCORECARD_LAYERS = ("models", "counting", "scoring", "snapshots", "presentation")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """The gridcity modules ``name`` imports, anywhere in it, with the line."""
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name in known]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    found.append((target, node.lineno))
                elif base in known:
                    found.append((base, node.lineno))
    return [(target, line) for target, line in found if target != name]


def import_graph() -> dict[str, dict[str, int]]:
    """``{module: {imported module: line of the first such import}}``."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges: dict[str, int] = {}
        for target, line in imports(name, path, known):
            edges.setdefault(target, line)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def one_circle(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    """A shortest circle through the component's first module, as
    ``a:12 → b:40 → a`` (each module with the line of its import of the next)."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                path = [*paths[v], start]
                return (
                    " → ".join(f"{a}:{graph[a][b]}" for a, b in zip(path, path[1:], strict=False))
                    + f" → {start}"
                )
            if w in members and w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return ", ".join(component)


def test_no_import_circle_in_gridcity():
    graph = import_graph()
    assert "gridcity.scorecards.models" in graph  # the walk found the package
    found = circles(graph)
    assert not found, "import circles (lazy imports included):\n" + "\n".join(
        f"- {one_circle(graph, c)} (all {len(c)} in this circle: {', '.join(c)})" for c in found
    )


def scorecard_layer(name: str) -> int:
    parts = name.split(".")[2:]  # after gridcity.scorecards
    return SCORECARD_LAYERS.index(parts[0]) if parts else 0


def test_scorecard_layers_import_only_downward():
    graph = import_graph()
    inside = [m for m in graph if m == "gridcity.scorecards" or m.startswith("gridcity.scorecards.")]
    assert {m.split(".")[2] for m in inside if m.count(".") >= 2} == set(SCORECARD_LAYERS)
    upward = [
        f"{m} ({SCORECARD_LAYERS[scorecard_layer(m)]}) imports {t} ({SCORECARD_LAYERS[scorecard_layer(t)]}), "
        f"line {line}"
        for m in inside
        for t, line in graph[m].items()
        if t.startswith("gridcity.scorecards") and scorecard_layer(t) > scorecard_layer(m)
    ]
    assert not upward, (
        "imports against the layer order " + " → ".join(SCORECARD_LAYERS) + ":\n" + "\n".join(upward)
    )
