"""The house's shape holds: layers, the reference apart, no circle of imports, short modules.

The contracts live in pyproject.toml and import-linter checks them, counting imports inside
functions and under ``TYPE_CHECKING`` too. The negative tests copy the package, add one import
that breaks a contract, and show the linter refuses it, so a contract cannot pass vacuously.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = [
    sys.executable,
    "-c",
    "from importlinter.cli import lint_imports_command; lint_imports_command()",
]


def lint_imports(package_home: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the ``conformance`` package found in ``package_home``."""
    env = {**os.environ, "PYTHONPATH": str(package_home)}
    return subprocess.run(
        [*LINT_IMPORTS, str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=package_home,
        env=env,
        check=False,
        timeout=300,
    )


def copy_of_the_package(tmp_path: Path) -> Path:
    """The package's source, as it is in the checkout, in a folder of its own."""
    shutil.copytree(
        ROOT / "conformance",
        tmp_path / "conformance",
        ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "*.ini", "*.toml"),
    )
    return tmp_path


def add_line(module: Path, line: str) -> None:
    module.write_text(module.read_text() + "\n\n" + line + "\n")


def test_the_package_keeps_every_contract() -> None:
    done = lint_imports(ROOT, ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "contract/rules.py",
            "def _late() -> None:\n    import conformance.cli.main  # noqa: F401",
            "conformance.contract is not allowed to import conformance.cli",
        ),
        (
            "verdict/outcomes.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import conformance.run.session  # noqa: F401",
            "conformance.verdict is not allowed to import conformance.run",
        ),
        (
            "reference/app.py",
            "def _late() -> None:\n    import conformance.contract.rules  # noqa: F401",
            "The reference server imports nothing of the suite BROKEN",
        ),
    ],
)
def test_an_import_against_a_contract_is_refused(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    home = copy_of_the_package(tmp_path)
    add_line(home / "conformance" / module, line)
    done = lint_imports(home, ROOT / "pyproject.toml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert broken in done.stdout


def test_a_circle_inside_one_layer_is_refused(tmp_path: Path) -> None:
    home = copy_of_the_package(tmp_path)
    # walk_bounds is imported by the walker; importing the walker back closes a circle.
    add_line(
        home / "conformance" / "checks" / "walk_bounds.py",
        "def _late() -> None:\n    import conformance.checks.walker  # noqa: F401",
    )
    done = lint_imports(home, ROOT / "pyproject.toml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "No circle of imports at any depth BROKEN" in done.stdout


MODULE_LINES = 320  # about 300: a module holds one concept, and a reader sees it whole


def test_every_module_of_the_package_is_short() -> None:
    longer = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "conformance").rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert longer == {}
