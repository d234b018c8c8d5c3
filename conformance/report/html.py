"""The certificate as one self-contained HTML file: the verdict first, then what failed, then every rule."""

from __future__ import annotations

import re

from conformance.contract.rules import Level
from conformance.report.model import OUTCOMES, Certificate, RuleRow
from conformance.report.page import badge, esc, page
from conformance.report.reproduction import Reproduction
from conformance.report.rerun import rerun_environment
from conformance.verdict.per_rule import NO_VERDICT, NOT_CONFORMANT

RUN_FACTS = (
    ("Target", "target"),
    ("Started (UTC)", "started_at"),
    ("Suite version", "suite_version"),
    ("Spec SHA-256", "spec_sha256"),
    ("Profile", "profile"),
    ("Seed", "seed"),
    ("Strict", "strict"),
    ("Read-only", "read_only"),
    ("Second account", "secondary_account"),
    ("Embedded reference server", "embedded_reference"),
    ("Run ID", "run_id"),
    ("Run ended", "run_end"),
    ("Deleted at the end", "cleanup_deleted"),
    ("Leftovers found by prefix", "cleanup_leftovers_found"),
    ("Leftovers deleted", "cleanup_leftovers_deleted"),
    ("Leftovers still listed", "cleanup_leftovers_remaining"),
    ("TLS certificate verified", "tls_verify"),
    ("Client certificate", "client_certificate"),
    ("Proxy", "proxy"),
    ("Extra headers", "extra_headers"),
    ("Rate limit", "rate_limit"),
    ("Page sizes walked to the end", "walked_to_end"),
)


def render_html(certificate: Certificate) -> str:
    parts = [
        _band(certificate),
        "<main>",
        _failing(certificate),
        _gaps(certificate),
        _run(certificate),
        _summary(certificate),
        _all_rules(certificate),
        "</main>",
        _footer(certificate),
    ]
    return page(
        f"Audience API conformance: {certificate.verdict}",
        "\n".join(part for part in parts if part),
    )


def _band(certificate: Certificate) -> str:
    decided = f"decided on {certificate.level}: {certificate.failures_told()}"
    if certificate.stopped:
        decided = f"the run ended early ({certificate.stopped}): the outcomes below are incomplete and certify nothing"
    elif certificate.kind == NO_VERDICT:
        decided = f"no verdict: {len(certificate.gaps())} rule(s) could not be verified, {len(certificate.errors())} test(s) ended in errors that name no rule"
    elif certificate.partial:
        decided = f"decided on the {certificate.level} in scope; the others were left out by the run's options and are not certified"
    decided = certificate.shard_note or decided  # one shard: the merge gives the verdict
    tone = (
        "pass"
        if certificate.conformant and not certificate.partial
        else "partial"
        if certificate.partial
        else "fail"
        if certificate.kind == NOT_CONFORMANT
        else "none"
    )
    return (
        f'<header class="band {tone}" id="verdict"><div>'
        '<p class="kicker">Audience API conformance certificate</p>'
        f"<h1>{esc(certificate.verdict)}</h1>"
        f"<p>{esc(decided)}</p>"
        f"<p>target <strong>{esc(certificate.run['target'])}</strong>, {esc(certificate.run['started_at'])}</p>"
        + (
            "<p><strong>TLS certificate not verified (--insecure)</strong>: the target's identity was not checked.</p>"
            if certificate.run["tls_verify"] == "false"
            else ""
        )
        + "</div></header>"
    )


def _failing(certificate: Certificate) -> str:
    failing = certificate.failing()
    if not failing:
        return ""
    environment = rerun_environment(certificate.run)
    articles = "\n".join(_failure(row, environment) for row in failing)
    failed = {level: counts["failed"] for level, counts in certificate.counts().items()}
    by_level = ", ".join(f"{count} {level}" for level, count in failed.items() if count)
    return f'<section id="failing"><h2>Failing rules ({by_level})</h2>\n{articles}</section>'


def _failure(row: RuleRow, environment: str) -> str:
    level = row.failed_level or row.level
    part = "" if level == row.level else f" (its {level} part)"
    lines = [
        f'<article class="failure" id="failed-{esc(row.id)}">',
        f"<h3>{esc(row.id)} {badge(row.level)} failed{esc(part)}</h3>",
        f"<p>{esc(row.statement)}</p>",
    ]
    if row.reproduction is not None:
        lines.append(_evidence(row.reproduction))
    lines.append(_reproduce(row, environment))
    failed_tests = [ref.nodeid for ref in row.tests if ref.outcome == "failed"]
    lines.append(
        "<p>Failing tests: "
        + ", ".join(f"<code>{esc(name)}</code>" for name in failed_tests)
        + "</p>"
    )
    lines.append("</article>")
    return "\n".join(lines)


def _evidence(reproduction: Reproduction) -> str:
    """What the rule expects versus what came back, then the failure with its request and response."""
    facts = [
        (label, value)
        for label, value in (
            ("Expected", reproduction.expected),
            ("Received", reproduction.received),
        )
        if value
    ]
    out = []
    if facts:
        out.append(
            '<dl class="facts">'
            + "".join(
                f"<dt>{esc(label)}</dt><dd><code>{esc(value)}</code></dd>" for label, value in facts
            )
            + "</dl>"
        )
    out.append(f"<p>Shortest failure, from <code>{esc(reproduction.test)}</code>:</p>")
    out.append(f'<pre class="reproduction">{esc(reproduction.shown)}</pre>')
    return "\n".join(out)


def _reproduce(row: RuleRow, environment: str) -> str:
    """The two commands that show the failure again: the rule's tests, and the failing request."""
    out = [
        f"<p>Run the rule's tests again ({esc(environment)}):</p>",
        f'<pre class="command rerun">{esc(row.rerun)}</pre>',
    ]
    if row.reproduction is not None and row.reproduction.curl:
        out += [
            "<p>Send the failing request again (your key in place of the mask):</p>",
            f'<pre class="command curl">{esc(row.reproduction.curl)}</pre>',
        ]
    return "\n".join(out)


def _gaps(certificate: Certificate) -> str:
    gaps, errors = certificate.gaps(), certificate.errors()
    if not gaps and not errors:
        return ""
    items = "".join(
        f'<li><a href="#rule-{esc(row.id)}">{esc(row.id)}</a>: {esc("; ".join(row.reasons[:3]))}</li>'
        for row in gaps
    )
    items += "".join(f"<li>error: <code>{esc(error)}</code></li>" for error in errors)
    return (
        f'<section id="gaps" class="notice"><p><strong>{len(gaps)} counted rule{"s were" if len(gaps) != 1 else " was"} not verified</strong>, '
        f"{len(errors)} test{'s' if len(errors) != 1 else ''} ended in an error that names no rule:</p><ul>{items}</ul>"
        "<p><code>audience-conformance verify</code> accepts a certificate only when every counted rule in scope passed.</p></section>"
    )


def _run(certificate: Certificate) -> str:
    facts = "".join(
        f"<dt>{esc(label)}</dt><dd>{esc(certificate.run[key])}</dd>" for label, key in RUN_FACTS
    )
    return f'<section id="run"><h2>Run</h2><dl class="facts">{facts}</dl></section>'


def _table(caption: str, columns: tuple[str, ...], rows: str) -> str:
    """A table with a caption and column headers that say what they head (WCAG 1.3.1)."""
    head = "".join(f'<th scope="col">{esc(name)}</th>' for name in columns)
    return f"<table><caption>{esc(caption)}</caption><tr>{head}</tr>\n{rows}</table>"


def _summary(certificate: Certificate) -> str:
    counts = certificate.counts()
    body = "".join(
        f'<tr><th scope="row">{esc(level.value)} rules</th>'
        + "".join(f"<td>{counts[level.value][outcome]}</td>" for outcome in OUTCOMES)
        + "</tr>"
        for level in Level
    )
    return f'<section id="summary"><h2>Summary</h2>{_table("Rules by level and outcome", ("level", *OUTCOMES), body)}</section>'


def _all_rules(certificate: Certificate) -> str:
    rows = "\n".join(_rule_row(row) for row in certificate.rules)
    caption = (
        "Every rule of the catalogue: its level, its outcome in this run, and the tests behind it"
    )
    columns = ("rule", "level", "outcome", "statement", "tests, or why not")
    return f'<section id="rules"><h2>All rules ({len(certificate.rules)})</h2>{_table(caption, columns, rows)}</section>'


def _rule_row(row: RuleRow) -> str:
    if row.reasons:
        why = "; ".join(esc(reason) for reason in row.reasons)
    elif row.tests:
        why = ", ".join(
            f"<code>{esc(test)}</code> ({esc(outcomes)})"
            for test, outcomes in _tests_by_function(row)
        )
    else:
        why = "no test of this rule ran"
    outcome = badge(row.outcome)
    if row.outcome == "failed":
        outcome = f'<a href="#failed-{esc(row.id)}">{outcome}</a>'
    return (
        f'<tr id="rule-{esc(row.id)}" class="{esc(row.outcome.replace(" ", "-"))}"><th scope="row">{esc(row.id)}</th>'
        f"<td>{badge(row.level)}</td><td>{outcome}</td><td>{esc(row.statement)}</td><td>{why}</td></tr>"
    )


def _tests_by_function(row: RuleRow) -> list[tuple[str, str]]:
    """Parametrized cases of one test function counted together: 'test_x (40 passed, 3 failed)'."""
    counts: dict[str, dict[str, int]] = {}
    for ref in row.tests:
        outcomes = counts.setdefault(re.sub(r"\[.*\]$", "", ref.nodeid), {})
        outcomes[ref.outcome] = outcomes.get(ref.outcome, 0) + 1
    return [
        (test, ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items()))
        for test, outcomes in counts.items()
    ]


def _footer(certificate: Certificate) -> str:
    return (
        f"<footer><p>Built from <code>{esc(certificate.junit_name)}</code> "
        f"(SHA-256 <code>{esc(certificate.junit_sha256)}</code>). "
        "Rebuild with <code>audience-conformance report JUNIT</code>; check with "
        "<code>audience-conformance verify certificate.json</code>.</p></footer>"
    )
