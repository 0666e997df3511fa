"""deploytool.core is pure: no cloud SDK, CLI, terminal, YAML or HTTP, and no other layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import deploytool.core

CORE_DIR = Path(deploytool.core.__file__).parent
CORE_FILES = sorted(CORE_DIR.rglob("*.py"))
FORBIDDEN_ROOTS = {"google", "typer", "rich", "yaml", "ruamel", "requests"}
ALLOWED_OWN = ("deploytool.core", "deploytool.errors")


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE_DIR.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imported_modules(source: str, package: str) -> list[str]:
    """Every module `source` imports (relative imports resolved against `package`), plus
    string arguments of `importlib.import_module(...)` / `__import__(...)`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                prefix = ".".join(parts[: len(parts) - (node.level - 1)])
                if node.module:
                    found.append(f"{prefix}.{node.module}")
                else:
                    found.extend(f"{prefix}.{alias.name}" for alias in node.names)
            elif node.module == "deploytool":
                found.extend(f"deploytool.{alias.name}" for alias in node.names)
            elif node.module:
                found.append(node.module)
        elif isinstance(node, ast.Call):
            func = node.func
            called = getattr(func, "attr", None) or getattr(func, "id", None)
            if (
                called in {"import_module", "__import__"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
    return found


def is_own_allowed(name: str) -> bool:
    return any(name == ok or name.startswith(ok + ".") for ok in ALLOWED_OWN)


def offending(modules: list[str]) -> list[str]:
    """The imports a core module may not have."""
    return [
        name
        for name in modules
        if name.split(".")[0] in FORBIDDEN_ROOTS
        or (name.split(".")[0] == "deploytool" and not is_own_allowed(name))
    ]


def test_core_has_modules() -> None:
    names = {p.stem for p in CORE_FILES}
    assert {"model", "diff", "policy", "verdict", "gate", "report"} <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_module_imports_nothing_impure(path: Path) -> None:
    modules = imported_modules(path.read_text(encoding="utf-8"), package_of(path))
    assert offending(modules) == []


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("import yaml", ["yaml"]),
        ("from google.cloud import run_v2", ["google.cloud"]),
        ("import rich.console", ["rich.console"]),
        ("from typer import Typer", ["typer"]),
        ("import ruamel.yaml", ["ruamel.yaml"]),
        ("import requests", ["requests"]),
        ("def f():\n    import yaml", ["yaml"]),  # lazy imports count too
        ("from deploytool.cloudrun import gateway", ["deploytool.cloudrun"]),
        ("from deploytool import cli", ["deploytool.cli"]),
        ("from deploytool import errors", []),
        ("from .. import redaction", ["deploytool.redaction"]),
        ("from ..manifest import loader", ["deploytool.manifest"]),
        ("from ..errors import ExitCode", []),
        ("importlib.import_module('google.auth')", ["google.auth"]),
        ("__import__('typer')", ["typer"]),
        ("from deploytool.errors import ExitCode", []),
        ("from deploytool.core.model import EnvVar", []),
        ("from .model import EnvVar", []),
        ("from . import diff", []),
        ("import re, fnmatch, unicodedata", []),
        ("import googleapis_common", []),  # a root merely starting with "google" is not google
    ],
)
def test_checker_catches_what_it_should(source: str, bad: list[str]) -> None:
    # The checker must be able to fail: parse source as if it were a module of deploytool.core.
    assert offending(imported_modules(source, "deploytool.core")) == bad
