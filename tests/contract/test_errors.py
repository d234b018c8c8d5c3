"""Every error the suite raises about itself lives in :mod:`conformance.errors`, which imports
nothing of the package; what tells of the target stays with the verdict."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import conformance
from conformance import errors
from conformance.run.preflight import PreflightFailure
from conformance.verdict.violations import RuleViolation

PACKAGE = Path(conformance.__file__).parent


def _modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE)], prefix="conformance.")
        if not info.name.startswith(("conformance.reference", "conformance.suite"))
        and not info.name.endswith("__main__")  # importing it runs the command line
    ]


def test_every_error_class_of_the_package_is_in_the_errors_module() -> None:
    elsewhere = []
    for name in _modules():
        if name == errors.__name__:
            continue
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ != name or not issubclass(value, Exception):
                continue
            # A rule violation is a verdict on the target; a preflight failure carries how the
            # run ends: neither is an error of the suite itself. (Outcomes such as a skip or a
            # stop derive from BaseException only, and are no errors either.)
            if issubclass(value, (RuleViolation, PreflightFailure)):
                continue
            elsewhere.append(f"{name}.{value.__name__}")
    assert elsewhere == []


def test_the_errors_module_imports_nothing_of_the_package() -> None:
    tree = ast.parse(Path(errors.__file__).read_text())
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert [name for name in imported if name.split(".")[0] == "conformance"] == []
