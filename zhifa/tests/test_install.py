"""`pip install .` brings what the product imports: the package metadata built from pyproject.toml
declares every third-party distribution the code imports (directly or through a declared one),
and the exact pins in requirements.txt (the lock bin/setup installs) satisfy every declared range."""

import ast
import shutil
import subprocess
import sys
import tomllib
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [name.rstrip("*") for name in config["tool"]["setuptools"]["packages"]["find"]["include"]]


def _built_requirements(tmp_path: Path) -> list[Requirement]:
    """The requirements in the metadata setuptools builds for `pip install .` (no network needed)."""
    tree = tmp_path / "src"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree)
    for package in _packages():
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "meta"
    out.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "egg_info",
            "--egg-base",
            str(out),
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    info = Parser().parsestr((out / "zhifa.egg-info" / "PKG-INFO").read_text(encoding="utf-8"))
    assert info["Name"] == "zhifa"
    # requires.txt: the unconditional requirements first, then [extra] / [:marker] sections.
    requires = out / "zhifa.egg-info" / "requires.txt"
    lines = requires.read_text(encoding="utf-8").splitlines() if requires.exists() else []
    unconditional = []
    for line in lines:
        if line.startswith("["):
            break
        if line.strip():
            unconditional.append(Requirement(line))
    return unconditional


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _closure(requirements: list[Requirement]) -> set[str]:
    """The declared distributions and, from the installed metadata, everything they require."""
    seen: set[str] = set()
    todo = [(r, tuple(r.extras)) for r in requirements]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen and not extras:
            continue
        seen.add(name)
        for line in metadata.requires(requirement.name) or []:
            child = Requirement(line)
            wanted = child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in ("", *extras)
            )
            if wanted:
                todo.append((child, tuple(child.extras)))
    return seen


def _imported_modules() -> set[str]:
    own = set(_packages())
    names = set()
    for package in own:
        for path in (ROOT / package).rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts or path.name == "conftest.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    # Stand-alone scripts in tools/ travel beside the verifier that imports them (evidence packages).
    shipped = {path.stem for path in (ROOT / "tools").glob("*.py")}
    return {
        n for n in names if n not in own and n not in shipped and n not in sys.stdlib_module_names and n != "__future__"
    }


@pytest.fixture(scope="module")
def declared(tmp_path_factory) -> list[Requirement]:
    return _built_requirements(tmp_path_factory.mktemp("install"))


def test_pip_install_dot_declares_every_distribution_the_product_imports(declared):
    assert declared, "pyproject.toml declares no dependencies: `pip install .` would install none"
    available = _closure(declared)
    owners = metadata.packages_distributions()
    missing = {
        module: owners.get(module)
        for module in _imported_modules()
        if not {canonicalize_name(d) for d in owners.get(module, [])} & available
    }
    assert missing == {}, f"imported by the product but not declared in pyproject.toml: {missing}"


def test_the_pinned_versions_satisfy_the_declared_ranges(declared):
    pins = _pins()
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is declared but has no pin in requirements.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.txt pins {requirement.name}=={pins[name]}, outside {requirement.specifier}"
        )
        for extra in requirement.extras:  # psycopg[binary] → psycopg-binary, pinned too
            for line in metadata.requires(requirement.name) or []:
                child = Requirement(line)
                if child.marker is not None and child.marker.evaluate({"extra": extra}):
                    assert canonicalize_name(child.name) in pins, f"{child.name} ({requirement}) has no pin"
