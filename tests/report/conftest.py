"""The suite's tests as the documentation lists them, collected once for the docs' test modules."""

from __future__ import annotations

import pytest

from conformance.report.suite_index import SuiteTest, collect_suite


@pytest.fixture(scope="session")
def suite_tests() -> list[SuiteTest]:
    """Collection starts the embedded reference server, as a run does: a few seconds."""
    return collect_suite()
