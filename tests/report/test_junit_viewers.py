"""The JUnit file of a failing run, read as CI viewers read it (junitparser's public API): short,
readable testcase names, the suite's own file and line as a CI annotation finds them, each
property name once per testcase, no Hypothesis statistics or notes, a one-line failure message,
and a file small enough to open.

One quick run against a server that answers 500 to every write: most tests fail, as in a
badly broken deployment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from junitparser import Attr, Error, Failure, IntAttr
from junitparser.xunit2 import JUnitXml, TestCase, TestSuite
from mutation.catalogue import Server
from mutation.harness import SuiteRun, run_suite, serve
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.report import write_certificate

pytestmark = pytest.mark.slow

MAX_NAME = 120
MAX_BYTES = 300 * 1024
SUITE_FILE = re.compile(r"^conformance/suite/test_\w+\.py$")
REPOSITORY = Path(__file__).parents[2]
NOISE = (
    "Failing test case",
    "Failing explicit example",
    "Falsifying example",
    "Verbosity.verbose",
    "reproduce_failure",
    "Draw 1",
)


class SuiteCase(TestCase):
    """A testcase with the attributes pytest's xunit1 family writes (junitparser's way to read more attributes)."""

    file = Attr()
    line = IntAttr()


class SuiteOfCases(TestSuite):
    testcase = SuiteCase


class SuiteXml(JUnitXml):
    testsuite = SuiteOfCases


class _WritesFail:
    """Every POST, PUT and DELETE answers 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "DELETE"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"Internal Server Error"})
            return
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def broken_run() -> Iterator[tuple[SuiteRun, Path]]:
    with serve(
        Server(
            "writes-fail",
            "500 on every write",
            lambda store, keys: _WritesFail(create_app(store, keys)),
        )
    ) as served:
        run = run_suite(served)
    assert run.folder is not None
    yield run, run.folder / "junit.xml"


@pytest.fixture(scope="module")
def cases(broken_run: tuple[SuiteRun, Path]) -> list[SuiteCase]:
    run, junit = broken_run
    assert run.exit_code == 1, run.stdout[-2000:] + run.stderr[-2000:]
    return [case for suite in SuiteXml.fromfile(str(junit)) for case in suite]


def _failures(cases: list[SuiteCase]) -> list[tuple[SuiteCase, Any]]:
    return [
        (case, result)
        for case in cases
        for result in case.result
        if isinstance(result, (Failure, Error))
    ]


def test_testcase_names_are_short_readable_and_distinct(cases: list[SuiteCase]) -> None:
    """One name was 8,053 characters; others were '{'', 'not json'' or '\\xff\\xfe\\x00''."""
    names = [case.name for case in cases]
    assert max(len(name) for name in names) <= MAX_NAME, max(names, key=len)
    assert len(set(names)) == len(names)
    for name in names:
        assert name.isprintable() and name.isascii() and "\\" not in name, name
        parameters = name.partition("[")[2]
        assert parameters.count("'") % 2 == 0 and parameters.count('"') % 2 == 0, (
            name
        )  # no cut-off repr
    assert "test_a_body_that_is_not_json_gets_400[not json]" in names
    assert "test_a_body_that_is_not_json_gets_400[0xfffe00]" in names


def test_file_and_line_point_at_the_suites_test(cases: list[SuiteCase]) -> None:
    """The file was a bare name ('test_schema.py', no CI annotation could find it), the line
    counted from 0 and pointed at the first decorator; the schema tests' file pointed into
    schemathesis. Now: the path from the repository root, the line of the test's ``def``."""
    for case in cases:
        assert SUITE_FILE.match(case.file), (case.name, case.file)
        assert case.file == f"conformance/suite/{case.classname}.py", (case.name, case.file)
        source = (REPOSITORY / case.file).read_text(encoding="utf-8").splitlines()
        test = case.name.partition("[")[0]
        assert 1 <= case.line <= len(source), (case.name, case.line)
        written = source[case.line - 1]
        assert re.match(rf"(async )?def {test}\(", written) or (
            case.line == 1 and f"def {test}(" not in "\n".join(source)
        ), (case.name, case.line, written)
    assert any(case.name.startswith("test_operation_conforms_to_schema[") for case in cases)


def test_each_property_name_once_per_testcase(cases: list[SuiteCase]) -> None:
    """65 testcases repeated a property name up to 9 times ('outcome'): a viewer that keeps
    properties as a map (name -> value) showed one rule's outcome of nine."""
    repeated = {}
    for case in cases:
        names = [prop.name for prop in case.properties()]
        if len(names) != len(set(names)):
            repeated[case.name] = names
    assert not repeated, list(repeated.items())[:3]
    for case in cases:
        found = {prop.name: prop.value for prop in case.properties()}
        for rule in found["rule"].split():
            assert f"level.{rule}" in found and f"outcome.{rule}" in found, (case.name, found)


def test_failure_bodies_carry_no_hypothesis_boilerplate(cases: list[SuiteCase]) -> None:
    """Bodies carried 'Failing test case: test_x(target=, known=, walks=...)', each draw's repr
    and 'use Verbosity.verbose to view'; the violation's own lines stay."""
    failures = _failures(cases)
    for case, result in failures:
        text = result.text or ""
        for noise in NOISE:
            assert noise not in text, (case.name, noise, text[:2000])
    assert sum("  expected: " in (result.text or "") for _, result in failures) > 20


def test_no_hypothesis_statistics_among_the_properties(broken_run: tuple[SuiteRun, Path]) -> None:
    """61 of 72 properties were Hypothesis' base64 statistics."""
    _, junit = broken_run
    names = [prop.name for suite in SuiteXml.fromfile(str(junit)) for prop in suite.properties()]
    assert names and not [name for name in names if name.startswith("hypothesis")]


def test_failure_messages_are_one_line_naming_the_rule(cases: list[SuiteCase]) -> None:
    """Every message was a whole traceback; now '[RULE] expected ... received ...', the detail in the text."""
    failures = _failures(cases)
    assert len(failures) > 50
    for case, result in failures:
        message = result.message or ""
        assert "\n" not in message and len(message) <= 320, (case.name, message)
        assert re.search(r"\[[A-Z]+-\d+(, [A-Z]+-\d+)*\] \S", message), (case.name, message)
        assert "Traceback" not in message and (result.text or "").strip(), case.name
    violations = [
        result
        for _, result in failures
        if re.match(r"\[[A-Z]+-\d+\]\n  expected: ", result.text or "")
    ]
    assert len(violations) > 20
    for result in violations:
        assert re.search(r"\[[A-Z]+-\d+\] expected .+ received ", result.message), result.message


def test_a_failing_quick_runs_junit_stays_small(broken_run: tuple[SuiteRun, Path]) -> None:
    """It was 1.15 MB: each failure's traceback twice, once as its message."""
    _, junit = broken_run
    assert junit.stat().st_size < MAX_BYTES, junit.stat().st_size


def test_its_certificate_in_markdown_carries_no_html_entities(
    broken_run: tuple[SuiteRun, Path], tmp_path: Path
) -> None:
    """The Markdown form wrote '&#x27;' for apostrophes."""
    _, junit = broken_run
    markdown = next(
        path for path in write_certificate(junit, tmp_path) if path.suffix == ".md"
    ).read_text(encoding="utf-8")
    assert not re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-z]+);", markdown)
    assert "'yyyy-MM-dd HH:mm:ss'" in markdown
