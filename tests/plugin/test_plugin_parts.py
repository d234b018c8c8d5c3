"""The plugin's parts are handed to each other; none finds another by its registered name."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance

PACKAGE = Path(conformance.__file__).parent


def _lookups_by_name() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get_plugin"
                and not (
                    node.args
                    and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == "terminalreporter"
                )
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_part_of_the_plugin_looks_another_up_by_name() -> None:
    """Only pytest's own terminal reporter is looked up; the recorder, progress and the worker
    side are built once and handed over."""
    assert _lookups_by_name() == []


def test_violations_never_read_the_run() -> None:
    """A violation is data: the module that makes it imports neither the run nor the redactor
    (keys are masked where text leaves the process)."""
    tree = ast.parse((PACKAGE / "verdict" / "violations.py").read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {"conformance.run.session", "conformance.http.redaction"} & imported
