"""The suite's tests and the mutants that prove them, found without running either.

Tests come from ``pytest --collect-only`` over ``conformance.suite`` in a child process
(rule marks are built by code, e.g. one per row of the error-code table, so only pytest
can read them); the child never sees the user's target or keys, so collection starts the
embedded reference server and touches nothing else. Mutants are the functions of
``tests/mutation/mutants_*.py`` decorated ``@mutant(RULE, "...")``, read from source: that
folder exists only in a source tree.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.contract.rules import RULES_BY_ID
from conformance.errors import ReportError
from conformance.report.collect import OUTPUT_ENV

MUTANTS_UNAVAILABLE = "mutant catalogue not available in this installation"
COLLECT_TIMEOUT = 600.0


@dataclass(frozen=True)
class SuiteTest:
    """A test function of the suite (all its parametrized cases) and the rules it checks.

    ``rules`` pairs each rule ID with the level it is checked at when that differs from the
    catalogue's (``@pytest.mark.rule(..., level=...)``), else None.
    """

    __test__ = False  # not a pytest test class

    nodeid: str
    name: str
    summary: str
    file: str
    line: int
    rules: tuple[tuple[str, str | None], ...]
    cases: int

    def rule_ids(self) -> list[str]:
        return list(dict.fromkeys(rule_id for rule_id, _ in self.rules))


@dataclass(frozen=True)
class CataloguedServer:
    """A mutant (``rule`` set: the rule it breaks) or a legal variant (``rule`` None), defined
    in ``path`` (named ``file``) by the ``def`` on ``line``, as a test's line is its ``def``'s."""

    name: str
    description: str
    rule: str | None
    file: str
    path: Path
    line: int


def collect_suite() -> list[SuiteTest]:
    """Collect ``conformance.suite`` as a run would, in a child process, and group its items by function."""
    suite_dir = Path(__file__).resolve().parent.parent / "suite"
    with tempfile.TemporaryDirectory(prefix="audience-conformance-docs-") as folder:
        listing = Path(folder) / "tests.json"
        env = {
            name: value for name, value in os.environ.items() if not name.startswith("AUDIENCE_")
        }
        env[OUTPUT_ENV] = str(listing)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(suite_dir / "suite.ini"),
            "--rootdir",
            str(suite_dir),
            "--collect-only",
            "-q",
            "-p",
            "conformance.report.collect",
            "--pyargs",
            "conformance.suite",
        ]
        done = subprocess.run(
            command,
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=COLLECT_TIMEOUT,
            check=False,
        )
        if done.returncode != 0 or not listing.is_file():
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise ReportError(
                f"Collecting the suite's tests failed (pytest exit code {done.returncode}): {last}"
            )
        return group_items(json.loads(listing.read_text(encoding="utf-8")))


def group_items(items: Iterable[dict[str, Any]]) -> list[SuiteTest]:
    """One entry per test function, its parametrized cases merged, in collection order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(re.sub(r"\[.*\]$", "", item["nodeid"]), []).append(item)
    tests = []
    for nodeid, cases in groups.items():
        first = cases[0]
        pairs: dict[tuple[str, str | None], None] = {}
        for case in cases:
            for rule_id, level in case["rules"]:
                catalogued = RULES_BY_ID[rule_id].level.value if rule_id in RULES_BY_ID else None
                pairs[(rule_id, None if level == catalogued else level)] = None
        if not pairs:
            continue
        summary = " ".join(str(first["doc"]).split("\n\n")[0].split())
        tests.append(
            SuiteTest(
                nodeid,
                str(first["name"]),
                summary,
                str(first["file"]),
                int(first["line"]),
                tuple(pairs),
                len(cases),
            )
        )
    return tests


def find_mutation_dir(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """``--mutants DIR`` when given (it must hold the catalogue), else ``tests/mutation`` under the current folder."""
    if explicit is not None:
        if not (explicit / "catalogue.py").is_file():
            raise ReportError(
                f"--mutants '{explicit}' is not the mutant catalogue folder (it has no catalogue.py)."
            )
        return explicit
    candidate = (cwd or Path.cwd()) / "tests" / "mutation"
    return candidate if (candidate / "catalogue.py").is_file() else None


def scan_mutants(folder: Path) -> list[CataloguedServer]:
    servers: list[CataloguedServer] = []
    for path in sorted([*folder.glob("mutants_*.py"), *folder.glob("variants_*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        constants = _string_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                servers += _registrations(node, path.resolve(), constants)
    return servers


def _registrations(
    node: ast.FunctionDef | ast.AsyncFunctionDef, path: Path, constants: dict[str, str]
) -> list[CataloguedServer]:
    name = node.name.replace("_", "-")  # as the catalogue names them
    found = []
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        callee = _dotted(decorator.func).rsplit(".", 1)[-1]
        texts = [_text(arg, constants) for arg in decorator.args]
        if callee == "mutant" and len(texts) >= 2:
            found.append(CataloguedServer(name, texts[1], texts[0], path.name, path, node.lineno))
        elif callee == "legal_variant" and texts:
            found.append(CataloguedServer(name, texts[0], None, path.name, path, node.lineno))
    return found


def _string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _text(node: ast.expr, constants: dict[str, str]) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return ast.unparse(node)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return ""
