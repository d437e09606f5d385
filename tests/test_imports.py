"""The import contract: dependencies run one way.

Every ``import`` of the project's packages is read from the source, those inside functions
included (a function-level import hides a cycle from Python, not from this test); only imports
under ``if TYPE_CHECKING:`` are left out, as they never run:

- no two modules depend on each other, directly or through others;
- ``db/`` (the data layer) imports neither ``bot/`` nor ``handlers/``;
- ``bot/domain/`` (the rules) imports no aiogram and nothing of the layers above it;
- ``bot/`` imports ``handlers/`` only in the composition root (``bot/app.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "db", "locales")
COMPOSITION_ROOT = "bot.app"

# Cycles that the restructuring is still removing. Each entry must still be a cycle (the test
# fails once it is gone, so the list only shrinks) and no other cycle may appear.
KNOWN_CYCLES: list[set[str]] = []


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, at any depth, except what sits under ``if TYPE_CHECKING:`` (names for the
    type checker only: they never run, so they make no dependency)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for child in node.orelse:
                yield child
                yield from _runtime_nodes(child)
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every module name an import statement of ``module`` asks for, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            yield base
            for alias in node.names:
                yield f"{base}.{alias.name}"


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Edges between the project's modules, and every external name each module imports."""
    found = modules()

    def own(name: str) -> str | None:
        while name and name not in found:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in found}
    external: dict[str, set[str]] = {m: set() for m in found}
    for module, path in found.items():
        for name in imported_names(module, path):
            target = own(name)
            if target is None:
                external[module].add(name)
            elif target != module and not module.startswith(target + "."):
                # A package's own __init__ seen from its submodule is not a dependency back.
                edges[module].add(target)
    return edges, external


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_import_cycle_beyond_those_being_removed() -> None:
    edges, _ = graph()
    found = cycles(edges)
    new = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert new == [], "import cycles (function-level imports included)"
    assert gone == [], "these cycles are gone: remove them from KNOWN_CYCLES"


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [{"a", "b", "c"}]


def test_the_data_layer_imports_neither_bot_nor_handlers() -> None:
    edges, _ = graph()
    wrong = {
        (m, t)
        for m, targets in edges.items()
        if m.startswith("db")
        for t in targets
        if t.split(".")[0] in ("bot", "handlers")
    }
    assert wrong == set()


def test_the_domain_imports_no_aiogram_and_nothing_above_it() -> None:
    edges, external = graph()
    domain = [m for m in edges if m.startswith("bot.domain")]
    assert domain, "the domain package exists"
    aiogram = {(m, n) for m in domain for n in external[m] if n.split(".")[0] == "aiogram"}
    above = {
        (m, t)
        for m in domain
        for t in edges[m]
        if not (t.startswith("bot.domain") or t.startswith("db"))
    }
    assert aiogram == set()
    assert above == set()


def test_bot_imports_handlers_only_in_the_composition_root() -> None:
    edges, _ = graph()
    wrong = {
        (m, t)
        for m, targets in edges.items()
        if m.startswith("bot") and m != COMPOSITION_ROOT
        for t in targets
        if t.startswith("handlers")
    }
    assert wrong == set()


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in tests/helpers.py, tests/client.py and tests/conftest.py; a
    test module imported by another runs its tests twice and couples unrelated files."""
    wrong = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.test_"):
                wrong.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert wrong == []
