"""Whether a run collected the whole suite, so that nothing of it needs building again.

``audience-conformance run`` starts pytest on the suite's package: every worker then skips the
second collection that finds the tests a narrower path left out. A narrower path (a module, a
node id) still gets it (the slow test in ``tests/verdict/test_scope.py`` runs one).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.plugin.whole_suite import SUITE_DIR, asked_for_whole_suite


def _config(args: list[str], *, pyargs: bool, cwd: Path = Path("/")) -> Any:
    return SimpleNamespace(
        args=args,
        getoption=lambda name, default=None: pyargs if name == "pyargs" else default,
        invocation_params=SimpleNamespace(dir=cwd),
    )


@pytest.mark.parametrize(
    ("args", "pyargs"),
    [
        (["conformance.suite"], True),
        ([str(SUITE_DIR)], False),
        (["suite"], False),  # relative to where pytest was started
    ],
)
def test_the_suite_package_or_folder_is_the_whole_suite(args: list[str], pyargs: bool) -> None:
    assert asked_for_whole_suite(_config(args, pyargs=pyargs, cwd=SUITE_DIR.parent))


@pytest.mark.parametrize(
    ("args", "pyargs"),
    [
        (["conformance.suite.test_filters"], True),
        (["conformance.suite::test_x"], True),
        ([str(SUITE_DIR / "test_filters.py")], False),
        ([f"{SUITE_DIR}::test_x"], False),
        (["conformance.suite", "conformance.checks"], True),
        (["no.such.package"], True),
        ([], True),
    ],
)
def test_a_narrower_or_another_path_is_not(args: list[str], pyargs: bool) -> None:
    assert not asked_for_whole_suite(_config(args, pyargs=pyargs))
