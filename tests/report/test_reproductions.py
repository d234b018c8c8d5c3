"""What a certificate gives a reader to act on: counts that add up to the headline, each failing
rule's exchange, and the commands that show the failure again."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from junit_samples import LEAKED_KEY, Case, failing_run, run_properties, traceback, write_junit

from conformance.contract.rules import RULES
from conformance.report import build_certificate, write_certificate
from conformance.report.html import render_html
from conformance.report.markdown import render_markdown
from conformance.report.reproduction import reproduction_of, shortest
from conformance.report.rerun import rerun_command, rerun_environment
from conformance.verdict.junit_records import read_records
from conformance.verdict.per_rule import compute_verdict

CURL = "curl -sS -i -X POST 'http://127.0.0.1:8080/v1/audiences' -H 'X-Dexatel-Key: [REDACTED]' --data-binary '{\"data\": {}}'"
GROUPED = traceback(
    "  | ExceptionGroup: VAL-1303, VAL-00: create with no data.name (2 sub-exceptions)",
    "  +-+---------------- 1 ----------------",
    "    | conformance.verdict.violations.RuleViolation: [VAL-1303] create with no data.name",
    "    |   expected: code 1303 among errors[].code",
    "    |   received: codes [1000]",
    "    |   request:  POST http://127.0.0.1:8080/v1/audiences",
    "    |             X-Dexatel-Key: [REDACTED]",
    '    |             body: {"data": {}}',
    "    |   response: 400 application/json",
    '    |             body: {"errors": [{"code": 1000}]}',
    f"    |   curl:     {CURL}",
    "    +---------------- 2 ----------------",
    "    | conformance.verdict.violations.RuleViolation: [VAL-00] create with no data.name (see VAL-1303)",
    "    |   expected: code 1303 among errors[].code",
    "    |   received: codes [1000]",
    "    +------------------------------------",
    test="test_create_with_one_fault_answers_its_code",
)


def _mixed_levels(path: Path, **properties: str) -> Path:
    """PAGE-04 failed (MUST), PAGE-10 failed (SHOULD), and FILT-03, a MUST rule, failed only in
    a test that checks it at SHOULD level."""
    cases = [
        Case(f"test_{rule.id.lower().replace('-', '_')}", [rule.id])
        for rule in RULES
        if rule.id not in ("PAGE-04", "PAGE-10", "FILT-03")
    ]
    cases += [
        Case("test_walk", ["PAGE-04"], "failed", ["PAGE-04"], GROUPED.replace("VAL-", "X-")),
        Case("test_size", ["PAGE-10"], "failed", ["PAGE-10"], "E   [PAGE-10] refused"),
        Case(
            "test_case",
            ["FILT-03"],
            "failed",
            ["FILT-03"],
            "E   [FILT-03] x",
            levels={"FILT-03": "SHOULD"},
        ),
    ]
    return write_junit(path, cases, run_properties(**properties))


def test_failures_are_counted_at_the_level_they_failed_everywhere(tmp_path: Path) -> None:
    """The headline's count, the counts table (HTML, Markdown, JSON) and the terminal agree: one
    MUST failure, two SHOULD failures (one of them a MUST rule's SHOULD part)."""
    junit = _mixed_levels(tmp_path / "junit.xml")
    certificate = build_certificate(junit)
    assert certificate.verdict == "NOT CONFORMANT"
    assert certificate.counts()["MUST"]["failed"] == 1
    assert certificate.counts()["SHOULD"]["failed"] == 2
    told = "1 MUST rule failed, and 2 SHOULD rules (not counted)"
    assert certificate.failures_told() == told
    assert f"decided on MUST rules: {told}" in render_html(certificate)
    assert "Failing rules (1 MUST, 2 SHOULD)" in render_html(certificate)
    assert f"Decided on MUST rules: {told}." in render_markdown(certificate)
    assert "| MUST | " + f"{certificate.counts()['MUST']['passed']} | 1 |" in render_markdown(
        certificate
    )
    written = json.loads(
        next(p for p in write_certificate(junit) if p.suffix == ".json").read_text()
    )
    assert (written["summary"]["MUST"]["failed"], written["summary"]["SHOULD"]["failed"]) == (1, 2)
    terminal = compute_verdict(read_records(junit), strict=False).summary_lines()
    assert terminal[0].startswith("MUST rules: ") and ", 1 failed," in terminal[0]
    assert terminal[1].startswith("SHOULD rules: ") and ", 2 failed," in terminal[1]
    strict = build_certificate(_mixed_levels(tmp_path / "strict.xml", strict="true"))
    assert strict.failures_told() == "1 MUST rule failed, and 2 SHOULD rules (counted)"


def test_a_violation_that_refers_to_another_shows_that_ones_exchange() -> None:
    """One response broke VAL-1303 and VAL-00; the exchange is written once, under VAL-1303.
    VAL-00's card shows it too, saying whose it is."""
    own = reproduction_of("test_create", GROUPED, "VAL-1303")
    borrowed = reproduction_of("test_create", GROUPED, "VAL-00")
    assert own.has_exchange and own.curl == CURL
    assert borrowed.text.startswith("[VAL-00] create with no data.name (see VAL-1303)")
    assert (borrowed.request, borrowed.response, borrowed.curl) == (
        own.request,
        own.response,
        own.curl,
    )
    assert "(the exchange of [VAL-1303], the same response)" in borrowed.text
    assert "curl:" not in borrowed.shown and "request:  POST" in borrowed.shown


def test_the_shortest_failure_is_one_with_an_exchange() -> None:
    bare = reproduction_of(
        "test_a", "E   [PAGE-04] x\nE     expected: a\nE     received: b", "PAGE-04"
    )
    full = reproduction_of("test_b", GROUPED, "VAL-1303")
    assert len(bare.text) < len(full.text)
    assert shortest([bare, full]) == full


def test_every_failing_rule_has_a_rerun_command_without_keys(tmp_path: Path) -> None:
    junit = failing_run(
        tmp_path / "junit.xml", target=f"https://user:{LEAKED_KEY}@staging.example.com/api"
    )
    certificate = build_certificate(junit)
    rows = {row.id: row for row in certificate.failing()}
    assert set(rows) == {"PAGE-04", "PAGE-10"}
    assert shlex.split(rows["PAGE-04"].rerun) == [
        "audience-conformance", "run",
        "--base-url", "https://[REDACTED]@staging.example.com/api",
        "--profile", "quick", "--seed", "1", "--rule", "PAGE-04",
        "--junit-xml", "rerun-PAGE-04/junit.xml",
    ]  # fmt: skip
    assert all(row.rerun == "" for row in certificate.rules if row.outcome != "failed")
    page = render_html(certificate) + render_markdown(certificate)
    assert rows["PAGE-10"].rerun in page and LEAKED_KEY not in page
    assert "AUDIENCE_API_KEY, AUDIENCE_SECONDARY_API_KEY set as for the run" in page
    written = json.loads(
        next(p for p in write_certificate(junit) if p.suffix == ".json").read_text()
    )
    assert {rule["id"]: rule["rerun"] for rule in written["rules"] if rule["rerun"]} == {
        "PAGE-04": rows["PAGE-04"].rerun,
        "PAGE-10": rows["PAGE-10"].rerun,
    }


def test_the_rerun_keeps_the_options_that_change_what_is_sent_or_judged() -> None:
    run = run_properties(
        embedded_reference="true",
        strict="true",
        read_only="true",
        tls_verify="false",
        rate_limit="5/s",
        proxy="http://proxy:3128",
        extra_headers="X-Gateway-Token",
        client_certificate="true",
        secondary_account="false",
    )
    assert shlex.split(rerun_command(run, "ROB-03")) == [
        "audience-conformance", "run", "--profile", "quick", "--seed", "1", "--rule", "ROB-03",
        "--strict", "--read-only", "--insecure", "--rate-limit", "5/s",
        "--proxy", "http://proxy:3128", "--junit-xml", "rerun-ROB-03/junit.xml",
    ]  # fmt: skip
    assert rerun_environment(run) == (
        "with AUDIENCE_API_KEY, AUDIENCE_HEADERS (with X-Gateway-Token), AUDIENCE_CLIENT_CERT,"
        " AUDIENCE_CLIENT_KEY set as for the run"
    )


def test_a_failing_card_shows_the_curl_command_apart(tmp_path: Path) -> None:
    cases = [
        Case(f"test_{rule.id.lower().replace('-', '_')}", [rule.id])
        for rule in RULES
        if not rule.id.startswith("VAL-")
    ]
    cases += [
        Case(
            "test_create_with_one_fault_answers_its_code",
            ["VAL-1303", "VAL-00"],
            "failed",
            ["VAL-1303", "VAL-00"],
            GROUPED,
        )
    ]
    cases += [
        Case(f"test_{rule.id}", [rule.id])
        for rule in RULES
        if rule.id.startswith("VAL-") and rule.id not in ("VAL-1303", "VAL-00")
    ]
    certificate = build_certificate(write_junit(tmp_path / "junit.xml", cases))
    html, markdown = render_html(certificate), render_markdown(certificate)
    escaped = CURL.replace("'", "&#x27;").replace('"', "&quot;")
    assert html.count(f'<pre class="command curl">{escaped}</pre>') == 2  # VAL-00's and VAL-1303's
    assert markdown.count(CURL) == 2
    assert all(row.reproduction and row.reproduction.has_exchange for row in certificate.failing())


def test_a_schemathesis_failure_gives_its_status_body_and_curl() -> None:
    text = traceback(
        "schemathesis.core.failures.FailureGroup: Schemathesis found 1 distinct failure",
        "",
        "- Server error",
        "",
        "[500] Internal Server Error:",
        "",
        "    `Internal Server Error`",
        "",
        "Reproduce with:",
        "",
        "    curl -X GET -H 'X-Dexatel-Key: [REDACTED]' 'http://127.0.0.1:8080/v1/audiences?page_size=0'",
        test="test_operation_conforms_to_schema",
    )
    found = reproduction_of("test_schema::test_operation_conforms_to_schema", text, "ROB-01")
    assert found.response == "500 Internal Server Error\n`Internal Server Error`"
    assert found.curl.startswith("curl -X GET") and found.request == found.curl
    assert found.has_exchange
