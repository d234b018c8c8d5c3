"""The run's properties as the JUnit file of a run carries them: the testsuite properties the
plugin writes, and the page sizes the tests' walks went to the end at.

A file that is not JUnit, or not there, fails with one line (:class:`ReportError`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.errors import ReportError
from conformance.report.reproduction import mask_keys

UNKNOWN = "unknown"


RUN_PROPERTIES = (
    "target",
    "started_at",
    "suite_version",
    "spec_sha256",
    "profile",
    "seed",
    "strict",
    "read_only",
    "secondary_account",
    "embedded_reference",
    "run_id",
    "run_end",
    "cleanup_deleted",
    "cleanup_leftovers_found",
    "cleanup_leftovers_deleted",
    "cleanup_leftovers_remaining",
    "cleanup_problems",
    "tls_verify",
    "client_certificate",
    "proxy",
    "extra_headers",
    "rate_limit",
)
WALKED_TO_END = (
    "walked_to_end"  # a testcase property: the page sizes a test walked to the end, and why
)


def read_run_properties(junit_path: Path) -> dict[str, str]:
    """The testsuite properties the plugin writes; fails with one line on a file that is not JUnit."""
    found, suites = suite_properties(junit_path)
    run = {name: mask_keys(found.get(name, UNKNOWN)) for name in RUN_PROPERTIES}
    if run["started_at"] == UNKNOWN and suites and suites[0].get("timestamp"):
        run["started_at"] = suites[0].get("timestamp", UNKNOWN)
    return run


def read_property(junit_path: Path, name: str) -> str | None:
    """One testsuite property, as written."""
    return suite_properties(junit_path)[0].get(name)


def suite_properties(junit_path: Path) -> tuple[dict[str, str], list[ET.Element]]:
    """Every testsuite property of a JUnit file (the first value of each name), and its testsuites."""
    root = _junit_root(junit_path)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    found: dict[str, str] = {}
    for suite in suites:
        for prop in suite.findall("properties/property"):
            found.setdefault(prop.get("name", ""), prop.get("value", ""))
    return found, suites


def walked_to_end(junit_path: Path) -> str:
    """The page sizes the run's walks went to the end at, and why smaller ones walked only
    prefixes (an account too large for the per-walk request budget), from the tests' properties."""
    sizes: set[int] = set()
    reasons: list[str] = []
    for prop in _junit_root(junit_path).iter("property"):
        if prop.get("name") != WALKED_TO_END:
            continue
        listed, _, why = prop.get("value", "").removeprefix("page sizes ").partition("; ")
        sizes.update(int(size) for size in listed.split(", ") if size.isdigit())
        if why and why not in reasons:
            reasons.append(why)
    if not sizes:
        return "none"
    shown = ", ".join(str(size) for size in sorted(sizes))
    return shown + (
        f"; {'; '.join(reasons)}" if reasons else "; every drawn page size walked to the end"
    )


def _junit_root(junit_path: Path) -> ET.Element:
    if not junit_path.is_file():
        raise ReportError(f"JUnit file '{junit_path}' does not exist.")
    try:
        root = ET.parse(junit_path).getroot()
    except ET.ParseError as error:
        raise ReportError(f"'{junit_path}' is not a JUnit XML file: {error}.") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ReportError(
            f"'{junit_path}' is not a JUnit XML file: its root element is <{root.tag}>, not <testsuites> or <testsuite>."
        )
    return root
