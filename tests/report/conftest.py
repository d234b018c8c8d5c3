"""The suite's tests as the documentation lists them, collected once for the docs' test modules;
and a failing run's JUnit file, which the certificate's test modules build from."""

from __future__ import annotations

from pathlib import Path

import pytest
from junit_samples import failing_run

from conformance.report.suite_index import SuiteTest, collect_suite


@pytest.fixture(scope="session")
def suite_tests() -> list[SuiteTest]:
    """Collection starts the embedded reference server, as a run does: a few seconds."""
    return collect_suite()


@pytest.fixture
def failing_junit(tmp_path: Path) -> Path:
    return failing_run(tmp_path / "run" / "junit.xml")
