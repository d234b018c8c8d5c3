"""The certificate: built from a JUnit file, it says what the run decided, rule by rule, in three forms."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from junit_samples import (
    LEAKED_KEY,
    NOT_RUN,
    SKIP_REASON,
    Case,
    passing_run,
    write_junit,
)

from conformance.contract.rules import RULES
from conformance.report import build_certificate, write_certificate
from conformance.report.html import render_html
from conformance.report.markdown import render_markdown


def test_verdict_and_header_come_from_the_junit_file(failing_junit: Path) -> None:
    """A failed MUST rule makes the run NOT CONFORMANT; the header is the run's properties."""
    certificate = build_certificate(failing_junit)
    assert (certificate.conformant, certificate.verdict, certificate.level) == (
        False,
        "NOT CONFORMANT",
        "MUST rules",
    )
    assert certificate.run["target"] == "http://127.0.0.1:8080"
    assert (certificate.run["profile"], certificate.run["seed"], certificate.run["started_at"]) == (
        "quick",
        "1",
        "2026-11-26T21:07:03Z",
    )
    assert certificate.junit_sha256 == hashlib.sha256(failing_junit.read_bytes()).hexdigest()


def test_rows_say_passed_failed_out_of_scope_or_not_verified_with_why(failing_junit: Path) -> None:
    """Every rule of the catalogue has a row; failing rules come first, MUST before SHOULD."""
    certificate = build_certificate(failing_junit)
    rows = {row.id: row for row in certificate.rules}
    assert list(rows) == [rule.id for rule in RULES]
    assert [row.id for row in certificate.failing()] == ["PAGE-04", "PAGE-10"]
    assert rows["PAGE-04"].failed_level == "MUST" and rows["PAGE-10"].failed_level == "SHOULD"
    assert rows["TEN-01"].outcome == "out of scope" and rows["TEN-01"].reasons == (SKIP_REASON,)
    assert all(
        rows[rule_id].outcome == "not verified"
        and rows[rule_id].reasons == ("none of its tests ran",)
        for rule_id in NOT_RUN
    )
    # The test that failed for PAGE-04 stopped there: PAGE-03, its other rule, was not checked to the end.
    assert rows["PAGE-03"].outcome == "not verified"
    assert rows["PAGE-03"].reasons == (
        "blocked by PAGE-04 (test_next_links_visit_every_item_once)",
    )
    assert {ref.outcome for ref in rows["PAGE-03"].tests} == {"blocked", "passed"}
    assert [row.id for row in certificate.gaps()] == ["PAGE-03", "ROB-01"]
    assert certificate.counts()["MUST"] == {
        "passed": 30,
        "failed": 1,
        "not verified": 2,
        "not exercised": 0,
        "out of scope": 1,
    }
    assert certificate.counts()["SHOULD"] == {
        "passed": 12,
        "failed": 1,
        "not verified": 2,
        "not exercised": 0,
        "out of scope": 0,
    }


def test_reproduction_is_the_shortest_failure_without_traceback(failing_junit: Path) -> None:
    """Of PAGE-04's two failures the shorter is shown: the request sent and what came back versus what was expected."""
    page_04 = next(row for row in build_certificate(failing_junit).rules if row.id == "PAGE-04")
    reproduction = page_04.reproduction
    assert reproduction is not None
    assert reproduction.test == "test_pagination::test_next_links_visit_every_item_once"
    assert reproduction.text.startswith("[PAGE-04] walk of 5 audiences with page_size 2")
    assert reproduction.expected == "every audience exactly once, 5 in all"
    assert reproduction.received == "4 audiences; acx000001_c never listed"
    assert reproduction.request.startswith("GET http://127.0.0.1:8080/v1/audiences?page_size=2")
    assert reproduction.response.startswith("200 application/json")
    assert "def test_" not in reproduction.text and "RuleViolation" not in reproduction.text


def test_keys_never_reach_any_form(failing_junit: Path) -> None:
    """Even a key the run's redactor missed (in a curl command) is masked in every form."""
    assert LEAKED_KEY in failing_junit.read_text(encoding="utf-8")
    paths = write_certificate(failing_junit)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert LEAKED_KEY not in text, path.name
        assert "X-Dexatel-Key: [REDACTED]" in text, path.name


def test_html_is_one_escaped_file_with_nothing_to_fetch(failing_junit: Path) -> None:
    """No scripts, no external resources; text from the target is escaped, never markup."""
    page = render_html(build_certificate(failing_junit))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.IGNORECASE)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.index("NOT CONFORMANT") < page.index('id="failing"') < page.index('id="rules"')
    assert 'id="failed-PAGE-04"' in page and 'id="failed-PAGE-10"' in page
    for rule in RULES:
        assert f'id="rule-{rule.id}"' in page


def test_markdown_is_a_pull_request_comment(failing_junit: Path) -> None:
    """Verdict line, counts, a table of failing rules, and the details folded away."""
    text = render_markdown(build_certificate(failing_junit))
    lines = text.splitlines()
    assert lines[0] == "## ❌ Audience API conformance: **NOT CONFORMANT**"
    assert "| MUST | 30 | 1 | 2 | 0 | 1 |" in lines and "| SHOULD | 12 | 1 | 2 | 0 | 0 |" in lines
    failing_rows = [line for line in lines if line.startswith("| **")]
    assert [row.split("|")[1].strip() for row in failing_rows] == ["**PAGE-04**", "**PAGE-10**"]
    assert "<details><summary>PAGE-04: shortest failure, and how to see it again</summary>" in lines
    assert text.count("<details>") == text.count("</details>")
    fences = [line for line in lines if line.startswith("```")]
    assert len(fences) % 2 == 0
    outside_code = re.sub(r"^```text$.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)
    assert (
        "<script>" in text and "<script>" not in outside_code
    )  # target text is shown literally, in code blocks only


def test_json_names_its_junit_file_and_its_hash(tmp_path: Path, failing_junit: Path) -> None:
    """The machine form links back to the JUnit file, relative to itself, with the file's SHA-256."""
    beside = json.loads(
        next(path for path in write_certificate(failing_junit) if path.suffix == ".json").read_text(
            encoding="utf-8"
        )
    )
    assert beside["junit"] == "junit.xml"
    assert beside["junit_sha256"] == hashlib.sha256(failing_junit.read_bytes()).hexdigest()
    assert (beside["verdict"], beside["conformant"], beside["strict"]) == (
        "NOT CONFORMANT",
        False,
        False,
    )
    assert beside["run"]["spec_sha256"] and beside["gaps"] == ["PAGE-03", "ROB-01"]
    rules = {rule["id"]: rule for rule in beside["rules"]}
    assert len(rules) == len(RULES)
    assert (
        rules["PAGE-04"]["outcome"] == "failed"
        and rules["PAGE-04"]["reproduction"]["expected"] == "every audience exactly once, 5 in all"
    )
    assert rules["TEN-01"]["reasons"] == [SKIP_REASON]
    elsewhere = write_certificate(failing_junit, tmp_path / "elsewhere")
    assert json.loads(elsewhere[2].read_text(encoding="utf-8"))["junit"] == "../run/junit.xml"


def test_a_run_where_everything_passed_is_conformant(tmp_path: Path) -> None:
    certificate = build_certificate(passing_run(tmp_path / "junit.xml"))
    assert certificate.conformant and not certificate.failing() and not certificate.gaps()
    assert 'class="band pass"' in render_html(certificate)
    assert render_markdown(certificate).startswith("## ✅ Audience API conformance: **CONFORMANT**")


def test_strict_runs_count_should_rules(tmp_path: Path) -> None:
    """In strict mode a failed SHOULD rule alone makes the run NOT CONFORMANT."""
    from junit_samples import PAGE_10_FAILURE, Case, run_properties

    cases = [Case(f"test_{rule.id}", [rule.id]) for rule in RULES if rule.id != "PAGE-10"]
    cases.append(Case("test_page_size", ["PAGE-10"], "failed", ["PAGE-10"], PAGE_10_FAILURE))
    lenient = build_certificate(write_junit(tmp_path / "lenient.xml", cases))
    strict = build_certificate(
        write_junit(tmp_path / "strict.xml", cases, run_properties(strict="true"))
    )
    assert lenient.conformant and not strict.conformant
    assert strict.level == "MUST and SHOULD rules (strict)"


def test_each_rule_gets_its_own_violation_out_of_an_exception_group() -> None:
    """Hypothesis reports several failures as a group; each rule is shown its own sub-exception."""
    from conformance.report.reproduction import essential_text

    detail = "\n".join(
        [
            "  + Exception Group Traceback (most recent call last):",
            "  | ExceptionGroup: Hypothesis found 2 distinct failures. (2 sub-exceptions)",
            "  +-+---------------- 1 ----------------",
            "    | Traceback (most recent call last):",
            '    |   File "conformance/checks/walker.py", line 331, in _expect_same',
            "    | conformance.verdict.violations.RuleViolation: [PAGE-06] 'previous' of page 3",
            "    |   expected: the items of page 2 in order: ['a']",
            "    |   received: ['b']",
            "    |   request:  GET http://127.0.0.1:8080/v1/audiences?page_token=x",
            "    |             X-Dexatel-Key: " + LEAKED_KEY,
            "    | Failing test case: test_current_first_and_previous_return_their_pages(",
            "    |     page_size=,",
            "    | )",
            "    +---------------- 2 ----------------",
            "    | conformance.verdict.violations.RuleViolation: [PAGE-05] page 4",
            "    |   expected: next null on the last page",
            "    |   received: an empty page behind next of page 3",
            "    +------------------------------------",
        ]
    )
    assert essential_text(detail, "PAGE-06").splitlines() == [
        "[PAGE-06] 'previous' of page 3",
        "  expected: the items of page 2 in order: ['a']",
        "  received: ['b']",
        "  request:  GET http://127.0.0.1:8080/v1/audiences?page_token=x",
        "            X-Dexatel-Key: [REDACTED]",
    ]
    assert essential_text(detail, "PAGE-05").splitlines()[0] == "[PAGE-05] page 4"
    assert essential_text(detail, "PAGE-07").startswith(
        "+ Exception Group Traceback"
    )  # no violation of it: the text as it is


def test_markdown_writes_no_html_entities(failing_junit: Path) -> None:
    """Apostrophes came out as '&#x27;', which a raw Markdown reader sees as such."""
    text = render_markdown(build_certificate(failing_junit))
    assert not re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-z]+);", text)
    assert "formatted 'yyyy-MM-dd HH:mm:ss'." in text
    assert "| **PAGE-04** | MUST |" in text  # table cells are still cells: no stray pipe


def test_html_tables_have_captions_and_scoped_header_cells(failing_junit: Path) -> None:
    """pa11y found row headers without scope and tables without captions (WCAG 1.3.1)."""
    page = render_html(build_certificate(failing_junit))
    tables = re.findall(r"<table>.*?</table>", page, flags=re.DOTALL)
    assert len(tables) == 2
    for table in tables:
        assert re.match(r"<table><caption>[^<]{10,}</caption>", table), table[:200]
    headers = re.findall(r"<th\b[^>]*>", page)
    assert headers and all(re.fullmatch(r'<th scope="(col|row)">', header) for header in headers), (
        set(headers)
    )
    assert '<th scope="row">PAGE-04</th>' in page


def test_test_names_are_relative_to_the_suite_whatever_the_install_path(tmp_path: Path) -> None:
    """Rebuilt from plain pytest's JUnit, tests were named '.venv.lib.python3.11.site-packages.conformance.suite.test_auth::...'."""
    installed = ".venv.lib.python3.11.site-packages.conformance.suite.test_pagination"
    junit = write_junit(
        tmp_path / "junit.xml",
        [Case("test_next_links_visit_every_item_once", ["PAGE-04"], classname=installed)],
    )
    row = next(row for row in build_certificate(junit).rules if row.id == "PAGE-04")
    assert [ref.nodeid for ref in row.tests] == [
        "test_pagination::test_next_links_visit_every_item_once"
    ]
