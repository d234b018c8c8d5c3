"""Reading the suite's JUnit XML back into test records.

The certificate, ``report`` and ``verify`` all start from the JUnit file, so what they
say can always be traced to it.
"""

from __future__ import annotations

from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase

from conformance.verdict import FAILED, PASSED, SKIPPED, TestRecord


def read_records(path: Path) -> list[TestRecord]:
    """One record per testcase that names the rules it checks; other testcases are ignored."""
    xml = JUnitXml.fromfile(str(path))
    records = []
    for suite in xml if xml._tag == "testsuites" else [xml]:
        for case in suite:
            properties = _properties(case)
            if any(name == "rule" for name, _ in properties):
                outcome, detail = _outcome(case)
                records.append(TestRecord.from_properties(f"{case.classname}::{case.name}", properties, outcome, detail))
    return records


def _properties(case: TestCase) -> list[tuple[str, object]]:
    return [(prop.get("name", ""), prop.get("value", "")) for prop in case._elem.iter("property")]


def _outcome(case: TestCase) -> tuple[str, str]:
    for result in case.result:
        if isinstance(result, (Failure, Error)):
            return FAILED, (result.text or result.message or "").strip()
        if isinstance(result, Skipped):
            return SKIPPED, (result.message or "").removeprefix("Skipped: ").strip()
    return PASSED, ""
