"""Where the code applies each rule key, and which tests exercise it, found by reading the source.

A key is applied where a string constant equal to it appears in product code (a call such as
`rules.rule("av.ingest_deadline")`, `rules.get(...)`, or a declaration the code evaluates, such as
a workflow step's `starts=("penalty.decision_deadline",)`). Comments and docstrings do not count:
the scan reads Python's syntax tree, not the text. `zhifa policy lint` fails on a key that a pack
sets and no product code applies; `zhifa policy coverage` and the rules page show the sites.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from policy.registry import RULES

ROOT = Path(__file__).resolve().parent.parent
# Folders that hold no product code; the registry names every key without applying any.
_SKIP_DIRS = {"tests", "migrations", "node_modules", "bench", "data", "__pycache__"}
_SKIP_FILES = {"policy/registry.py", "policy/usage.py"}


@dataclass(frozen=True)
class Site:
    """One place in product code that applies a rule key."""

    path: str  # relative to the source root, with forward slashes
    function: str  # the enclosing function or class (dotted), or "" at module level
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" + (f"（{self.function}）" if self.function else "")


@dataclass(frozen=True)
class Exercise:
    path: str
    via: str  # "key" when the test names the key itself, else the function it calls


def _is_test(relative: Path) -> bool:
    return "tests" in relative.parts or relative.name.startswith("test_") or relative.name == "conftest.py"


def _python_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue  # .venv, .git and the like
        yield path, relative


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, keys: set[str], found: dict[str, list[Site]]):
        self.path, self.keys, self.found = path, keys, found
        self.scope: list[str] = []

    def _scoped(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Constant(self, node: ast.Constant):
        if isinstance(node.value, str) and node.value in self.keys:
            self.found.setdefault(node.value, []).append(Site(self.path, ".".join(self.scope), node.lineno))


def scan_sites(root: Path = ROOT, keys: set[str] | None = None) -> dict[str, list[Site]]:
    """Each key (of the registry by default) → the places in product code that apply it."""
    keys = set(RULES) if keys is None else keys
    found: dict[str, list[Site]] = {}
    for path, relative in _python_files(root):
        if _is_test(relative) or set(relative.parts[:-1]) & _SKIP_DIRS:
            continue
        name = relative.as_posix()
        if name in _SKIP_FILES:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        except (SyntaxError, UnicodeDecodeError):
            continue
        _Visitor(name, keys, found).visit(tree)
    return found


def scan_tests(root: Path, sites: dict[str, list[Site]]) -> dict[str, list[Exercise]]:
    """Each key → the test files that exercise it: those naming the key, and those calling a public
    function that applies it (a private helper is reached only through what calls it)."""
    texts = {
        relative.as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path, relative in _python_files(root)
        if _is_test(relative)
    }
    result: dict[str, list[Exercise]] = {}
    for key in sorted(set(RULES) | set(sites)):
        uses = [Exercise(name, "key") for name, text in texts.items() if key in text]
        named = {u.path for u in uses}
        functions = set()
        for site in sites.get(key, ()):
            if site.function:
                functions |= public_callers(root / site.path, site.function.split(".", 1)[0])
        for function in sorted(functions):
            # A call of the function, or its import by name (a test that hands it to a helper).
            name = re.escape(function)
            pattern = re.compile(rf"\b{name}\s*\(|^\s*from\s+\S+\s+import\s+.*\b{name}\b", re.MULTILINE)
            for name, text in texts.items():
                if name not in named and pattern.search(text):
                    uses.append(Exercise(name, function))
                    named.add(name)
        if uses:
            result[key] = uses
    return result


@lru_cache(maxsize=512)
def _call_graph(path: Path) -> dict[str, set[str]]:
    """Each top-level function of a module → the names it calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    graph = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            graph[node.name] = {
                call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
            }
    return graph


def public_callers(path: Path, function: str) -> set[str]:
    """The function itself if public, else the public functions of its module that reach it through
    private helpers (a test exercises `_guard` by calling `matter_transition`)."""
    if not function.startswith("_"):
        return {function}
    try:
        graph = _call_graph(path)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return set()
    found, seen, todo = set(), {function}, [function]
    while todo:
        target = todo.pop()
        for caller, calls in graph.items():
            if target in calls and caller not in seen:
                seen.add(caller)
                if caller.startswith("_"):
                    todo.append(caller)
                else:
                    found.add(caller)
    return found


@lru_cache(maxsize=4)
def applied_sites(root: str = str(ROOT)) -> dict[str, list[Site]]:
    """scan_sites, once per process (the source does not change while it runs)."""
    return scan_sites(Path(root))


@lru_cache(maxsize=4)
def exercised_by(root: str = str(ROOT)) -> dict[str, list[Exercise]]:
    """scan_tests over applied_sites, once per process."""
    return scan_tests(Path(root), applied_sites(root))


__all__ = ["ROOT", "Exercise", "Site", "applied_sites", "exercised_by", "scan_sites", "scan_tests"]
