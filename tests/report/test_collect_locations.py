"""The docs name each test where its JUnit testcase does: the file from the repository root and
the line of its ``def`` (they named ``test_pagination.py:46``, the first decorator's line, in a
folder no reader could tell)."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.report.suite_index import collect_suite

REPOSITORY = Path(__file__).parents[2]


def test_each_collected_test_points_at_its_def_from_the_repository_root() -> None:
    tests = collect_suite()
    assert tests
    for test in tests:
        assert re.fullmatch(r"conformance/suite/test_\w+\.py", test.file), test.file
        source = (REPOSITORY / test.file).read_text(encoding="utf-8").splitlines()
        assert re.match(rf"(async )?def {test.name}\(", source[test.line - 1]), (
            test.nodeid,
            test.line,
        )
