"""The import structure of keryx/, read with `ast` (nothing is imported, so it stays fast).

Every import counts, at module level and inside functions alike: an import moved into a function
still ties the two modules together, it only hides the circle until run time.

- no import cycle between keryx modules;
- no private name (`_x`) imported from another module;
- keryx/networks/ imports nothing from keryx outside keryx.networks;
- a models module imports no services module; a services module imports no views.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "keryx"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the keryx module imported
    name: str  # the name taken from it ("" for a plain `import x` or a submodule)
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
    }


def _resolve(source: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = modules()[source].name == "__init__.py"
    base = source.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


@cache
def imports() -> tuple[Import, ...]:
    known = modules()
    found: list[Import] = []
    for source, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in known:
                        found.append(Import(source, alias.name, "", node.lineno))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(source, node)
                if target not in known:
                    continue
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    if submodule in known:  # `from keryx.core import audit`
                        found.append(Import(source, submodule, "", node.lineno))
                    else:
                        found.append(Import(source, target, alias.name, node.lineno))
    return tuple(found)


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for imp in imports():
        if imp.target != imp.source:
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # recursive: the graph is a few hundred modules deep at most
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def _describe(component: list[str]) -> str:
    members = set(component)
    edges = sorted({f"{i.source} -> {i.target} (line {i.line})" for i in imports()
                    if i.source in members and i.target in members})
    return "cycle: " + ", ".join(component) + "\n    " + "\n    ".join(edges)


def _last(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def test_no_import_cycle() -> None:
    found = cycles()
    assert not found, "\n".join(_describe(c) for c in found)


def test_no_private_name_imported_from_another_module() -> None:
    bad = [f"{i.source}:{i.line} imports {i.name} from {i.target}" for i in imports()
           if i.name.startswith("_") and not i.name.startswith("__")]
    assert not bad, "\n".join(bad)


def test_networks_import_only_networks() -> None:
    bad = [f"{i.source}:{i.line} imports {i.target}" for i in imports()
           if i.source.startswith("keryx.networks") and not i.target.startswith("keryx.networks")]
    assert not bad, "\n".join(bad)


def test_models_import_no_services() -> None:
    bad = [f"{i.source}:{i.line} imports {i.target}" for i in imports()
           if _last(i.source) == "models" and _last(i.target) == "services"]
    assert not bad, "\n".join(bad)


def test_services_import_no_views() -> None:
    bad = [f"{i.source}:{i.line} imports {i.target}" for i in imports()
           if _last(i.source) == "services" and _last(i.target) == "views"]
    assert not bad, "\n".join(bad)


if __name__ == "__main__":  # a quick look from the shell: python tests/test_architecture.py
    for component in cycles():
        print(_describe(component))
