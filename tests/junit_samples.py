"""JUnit files shaped like the suite's, written from a few lines of test data.

They carry what pytest and the plugin write: testcases with ``rule``, ``level.RULE`` and
``outcome.RULE`` properties (or the older repeated ``rule``/``level``/``outcome``), failures as full pytest tracebacks, skips with their reason, and the run's
properties on the testsuite.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from conformance.contract.rules import RULES
from conformance.contract.spec_files import spec_sha256
from conformance.verdict.junit_properties import for_viewers

LEAKED_KEY = (
    "sk-live-4f9e2c7a1b3d5e6f"  # a key the redactor missed; the certificate must still hide it
)
SOURCE = "conformance/suite/test_pagination.py"


@dataclass
class Case:
    name: str
    rules: list[str]
    outcome: str = "passed"  # passed, failed, skipped
    failed_rules: list[str] = field(default_factory=list)
    text: str = ""  # the failure's traceback or the skip reason
    classname: str = "test_sample"
    levels: dict[str, str] = field(
        default_factory=dict
    )  # level overrides, as @pytest.mark.rule(level=...)


def run_properties(**overrides: str) -> dict[str, str]:
    properties = {
        "target": "http://127.0.0.1:8080",
        "embedded_reference": "false",
        "profile": "quick",
        "seed": "1",
        "strict": "false",
        "read_only": "false",
        "secondary_account": "true",
        "suite_version": "0.1.0",
        "spec_sha256": spec_sha256(),
        "started_at": "2026-11-26T21:07:03Z",
        "run_id": "ab12cd",
        "run_end": "completed",
    }
    return properties | overrides


def write_junit(
    path: Path,
    cases: list[Case],
    properties: dict[str, str] | None = None,
    *,
    older_form: bool = False,
) -> Path:
    """A JUnit file as the plugin writes it (one property per name), or as it was written before
    that (``older_form``: ``rule``, ``level`` and ``outcome`` repeated per rule)."""
    root = ET.Element("testsuites", name="pytest tests")
    failures = sum(case.outcome == "failed" for case in cases)
    skipped = sum(case.outcome == "skipped" for case in cases)
    suite = ET.SubElement(
        root,
        "testsuite",
        name="pytest",
        errors="0",
        failures=str(failures),
        skipped=str(skipped),
        tests=str(len(cases)),
        time="1.234",
        timestamp="2026-11-26T21:07:03.000000+00:00",
        hostname="ci",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (run_properties() if properties is None else properties).items():
        ET.SubElement(props, "property", name=name, value=value)
    by_id = {rule.id: rule for rule in RULES}
    for case in cases:
        element = ET.SubElement(
            suite,
            "testcase",
            classname=case.classname,
            name=case.name,
            file=SOURCE,
            line="10",
            time="0.010",
        )
        case_props = ET.SubElement(element, "properties")
        pairs: list[tuple[str, object]] = []
        for rule_id in case.rules:
            pairs += [
                ("rule", rule_id),
                ("level", case.levels.get(rule_id, by_id[rule_id].level.value)),
            ]
        pairs += _outcomes(case)
        for prop, written in pairs if older_form else for_viewers(pairs):
            ET.SubElement(case_props, "property", name=prop, value=str(written))
        if case.outcome == "failed":
            failure = ET.SubElement(
                element, "failure", message=case.text.splitlines()[0] if case.text else "failed"
            )
            failure.text = case.text
        elif case.outcome == "skipped":
            skip = ET.SubElement(element, "skipped", type="pytest.skip", message=case.text)
            skip.text = f"{SOURCE}:12: {case.text}"
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _outcomes(case: Case) -> list[tuple[str, str]]:
    """The ``outcome`` properties the plugin writes for a test that ended this way."""
    if case.outcome == "failed":
        blocked = [
            f"{rule} blocked {' '.join(case.failed_rules)}"
            for rule in case.rules
            if rule not in case.failed_rules
        ]
        return [("outcome", f"{rule} failed") for rule in case.failed_rules] + [
            ("outcome", value) for value in blocked
        ]
    kind = (
        "passed"
        if case.outcome == "passed"
        else "out-of-scope"
        if case.text == SKIP_REASON
        else "not-verified"
    )
    return [("outcome", f"{rule} {kind}") for rule in case.rules]


def traceback(*exception_lines: str, test: str = "test_next_links_visit_every_item_once") -> str:
    """A failure text as pytest writes it into JUnit: source, then the exception's ``E`` lines."""
    source = [
        f"    def {test}(target):",
        '        """Following next visits every matching item exactly once."""',
        "        walk = walk_pages(target, page_size=2)",
        '>       check(len(walk.items) == walk.total, "PAGE-04", expected=..., received=...)',
        "",
        f"{SOURCE}:88: ",
        "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ ",
        "",
        "    def check(condition, rule, *, expected, received, response=None, context=''):",
        ">           raise RuleViolation(rule, expected=expected, received=shown, response=response, context=context)",
    ]
    return "\n".join(
        [
            *source,
            *(f"E           {line}" if line else "E" for line in exception_lines),
            "",
            "conformance/verdict/violations.py:55: RuleViolation",
        ]
    )


SHORT_PAGE_04 = traceback(
    "conformance.verdict.violations.RuleViolation: [PAGE-04] walk of 5 audiences with page_size 2",
    "  expected: every audience exactly once, 5 in all",
    "  received: 4 audiences; acx000001_c never listed",
    "  request:  GET http://127.0.0.1:8080/v1/audiences?page_size=2&page_token=eyJhIjoyfQ",
    "            X-Dexatel-Key: [REDACTED]",
    "  response: 200 application/json",
    '            body: {"data": [{"name": "<script>alert(1)</script>"}], "pagination": {"next": null}}',
)

LONG_PAGE_04 = traceback(
    "schemathesis.core.failures.FailureGroup: Schemathesis found 1 distinct failure",
    "",
    "- Pagination visits an item twice: [PAGE-04]",
    "",
    "    The same audience appears on pages 1 and 2, and the walk ended after 3 pages",
    "    although pagination.total said 7; a longer explanation follows to make this text",
    "    the longer of the two failures of PAGE-04.",
    "",
    "Reproduce with:",
    "",
    f"    curl -X GET -H 'X-Dexatel-Key: {LEAKED_KEY}' 'http://127.0.0.1:8080/v1/audiences?page_size=3'",
    test="test_operation_conforms_to_schema",
)

PAGE_10_FAILURE = traceback(
    "conformance.verdict.violations.RuleViolation: [PAGE-10] page_size=0",
    "  expected: HTTP 400 with the error envelope",
    "  received: HTTP 200",
    "  request:  GET http://127.0.0.1:8080/v1/audiences?page_size=0",
    "  response: 200 application/json",
    test="test_page_size_out_of_range_is_refused",
)

SKIP_REASON = "needs a second account: pass --secondary-api-key or set AUDIENCE_SECONDARY_API_KEY"
NOT_RUN = ("DATE-02", "CRUD-06")


def failing_run(path: Path, *, older_form: bool = False, **properties: str) -> Path:
    """A run where PAGE-04 (MUST) fails twice, PAGE-10 (SHOULD) fails, TEN-01 is skipped and two rules did not run."""
    special = {"PAGE-04", "PAGE-10", "TEN-01", *NOT_RUN}
    cases = [
        Case(f"test_{rule.id.lower().replace('-', '_')}", [rule.id])
        for rule in RULES
        if rule.id not in special
    ]
    cases += [
        Case(
            "test_next_links_visit_every_item_once",
            ["PAGE-04", "PAGE-03"],
            "failed",
            ["PAGE-04"],
            SHORT_PAGE_04,
            classname="test_pagination",
        ),
        Case(
            "test_operation_conforms_to_schema[GET /v1/audiences]",
            ["PAGE-04", "ROB-01"],
            "failed",
            ["PAGE-04"],
            LONG_PAGE_04,
            classname="test_schema",
        ),
        Case(
            "test_page_size_out_of_range_is_refused[0]",
            ["PAGE-10"],
            "failed",
            ["PAGE-10"],
            PAGE_10_FAILURE,
            classname="test_pagination",
        ),
        Case(
            "test_other_accounts_audience_is_hidden",
            ["TEN-01"],
            "skipped",
            text=SKIP_REASON,
            classname="test_tenancy",
        ),
    ]
    return write_junit(path, cases, run_properties(**properties), older_form=older_form)


def passing_run(path: Path, **properties: str) -> Path:
    """Every rule of the catalogue checked by one passing test."""
    cases = [Case(f"test_{rule.id.lower().replace('-', '_')}", [rule.id]) for rule in RULES]
    return write_junit(path, cases, run_properties(**properties))
