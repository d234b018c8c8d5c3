"""Reading the suite's JUnit XML back into test records.

The certificate, ``report`` and ``verify`` all start from the JUnit file, so what they
say can always be traced to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from conformance.verdict.outcomes import skip_reason
from conformance.verdict.per_rule import (
    TEST_FAILED as FAILED,
)
from conformance.verdict.per_rule import (
    TEST_PASSED as PASSED,
)
from conformance.verdict.per_rule import (
    TEST_SKIPPED as SKIPPED,
)
from conformance.verdict.per_rule import (
    TestRecord,
)

SUITE_PACKAGE = "conformance.suite"


def read_records(path: Path) -> list[TestRecord]:
    """One record per testcase that names the rules it checks; other testcases are ignored."""
    xml = JUnitXml.fromfile(str(path))
    records = []
    # junitparser annotates fromfile as JUnitXml, but a file whose root is <testsuite> reads as one
    suites = list(xml) if xml._tag == "testsuites" else [cast(TestSuite, xml)]
    for suite in suites:
        for case in suite:
            properties = _properties(case)
            if any(name == "rule" for name, _ in properties):
                outcome, detail = _outcome(case)
                records.append(
                    TestRecord.from_properties(
                        f"{suite_relative(case.classname)}::{case.name}",
                        properties,
                        outcome,
                        detail,
                    )
                )
    return records


def suite_relative(classname: str) -> str:
    """A test's module as the suite names it ('test_auth'), whatever folder pytest ran from:
    under plain pytest the class name carries the whole path to the installed package
    ('.venv.lib.python3.11.site-packages.conformance.suite.test_auth')."""
    return (
        classname.rpartition(f"{SUITE_PACKAGE}.")[2]
        if f"{SUITE_PACKAGE}." in classname
        else classname
    )


def _properties(case: TestCase) -> list[tuple[str, object]]:
    return [(prop.get("name", ""), prop.get("value", "")) for prop in case._elem.iter("property")]


def _outcome(case: TestCase) -> tuple[str, str]:
    for result in case.result:
        if isinstance(result, (Failure, Error)):
            return FAILED, (result.text or result.message or "").strip()
        if isinstance(result, Skipped):
            return SKIPPED, skip_reason(result.message or "")
    return PASSED, ""
