"""The house rules of issue 20, held by CI: small files, no import circle, and nothing that
reaches into another library's private parts (see README's code map)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "demodeck"
MAX_LINES = 450
# Libraries whose private names the code must not use: jinja2, markupsafe, yaml and the
# standard library. The one exception is documented where it is used.
GUARDED = frozenset({"jinja2", "markupsafe", "yaml", *sys.stdlib_module_names})
ALLOWED = {("os", "_exit")}  # a forked child leaves without running the parent's handlers


def _modules() -> dict[str, Path]:
    return {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
            .removesuffix(".__init__"): path for path in sorted(PACKAGE.rglob("*.py"))}


def _top_level_imports(tree: ast.Module, name: str, modules: dict[str, Path]) -> set[str]:
    """demodeck modules ``name`` imports when it is imported: top-level statements only
    (an import inside a function or under ``if TYPE_CHECKING`` runs later, if ever)."""
    found: set[str] = set()
    package = name if modules[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            if base in modules:
                found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names
                         if f"{base}.{alias.name}" in modules)
    found.discard(name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph``, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def _private_uses(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Each ``module._name`` (or ``from module import _name``) of a guarded library."""
    aliases: dict[str, str] = {}  # local name -> guarded module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GUARDED:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] not in GUARDED:
                continue
            for alias in node.names:
                if _private(alias.name) or _private(node.module):
                    yield node.lineno, f"from {node.module} import {alias.name}"
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and _private(node.attr)
                and (aliases[node.value.id], node.attr) not in ALLOWED):
            yield node.lineno, f"{aliases[node.value.id]}.{node.attr}"


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def test_no_module_of_the_package_is_over_450_lines() -> None:
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_package_imports_in_no_circle() -> None:
    modules = _modules()
    graph = {name: _top_level_imports(ast.parse(path.read_text(encoding="utf-8")), name,
                                      modules)
             for name, path in modules.items()}
    assert graph["demodeck.build"], "the import graph is empty: the test reads nothing"
    assert _cycle(graph) is None


def test_no_private_name_of_jinja_markupsafe_yaml_or_the_standard_library() -> None:
    used = [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
            for path in _modules().values()
            for line, what in _private_uses(ast.parse(path.read_text(encoding="utf-8")))]
    assert used == []


@pytest.mark.parametrize(("source", "found"), [
    ("import markupsafe\nmarkupsafe._escape_inner('x')\n", ["markupsafe._escape_inner"]),
    ("from jinja2.runtime import _x\n", ["from jinja2.runtime import _x"]),
    ("import atexit\natexit._run_exitfuncs()\n", ["atexit._run_exitfuncs"]),
    ("import os\nos._exit(0)\n", []),
    ("import attrs\nattrs._private\n", []),  # not a guarded library
    ("import yaml\nyaml.__version__\n", []),  # a dunder is public
])
def test_the_private_name_check_finds_what_it_should(source: str, found: list[str]) -> None:
    assert [what for _, what in _private_uses(ast.parse(source))] == found


def test_the_circle_check_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
