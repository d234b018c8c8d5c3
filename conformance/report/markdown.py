"""The certificate as a pull-request comment: verdict, counts, what failed, details folded away."""

from __future__ import annotations

import re

from conformance.contract.rules import Level
from conformance.report.model import OUTCOMES, Certificate, RuleRow
from conformance.report.rerun import rerun_environment
from conformance.verdict.per_rule import NO_VERDICT


def render_markdown(certificate: Certificate) -> str:
    run = certificate.run
    mark = (
        "⏹️"
        if certificate.kind == NO_VERDICT
        else "🔷"
        if certificate.partial
        else "✅"
        if certificate.conformant
        else "❌"
    )
    decided = (
        f"The run ended early ({certificate.stopped}): no verdict."
        if certificate.stopped
        else f"Decided on {certificate.level}: {certificate.failures_told()}."
    )
    if certificate.partial:
        decided += " Rules left out by the run's options are not certified."
    decided = certificate.shard_note or decided  # one shard: the merge gives the verdict
    lines = [
        f"## {mark} Audience API conformance: **{certificate.verdict}**",
        "",
        (
            f"{decided} Target {_cell(run['target'])}, started {_cell(run['started_at'])}; "
            f"suite {_cell(run['suite_version'])}, profile {_cell(run['profile'])}, seed {_cell(run['seed'])}, "
            f"spec SHA-256 {_code(run['spec_sha256'][:12])}."
        ),
        *(
            [
                "",
                "> ⚠️ **TLS certificate not verified** (`--insecure`): the target's identity was not checked.",
            ]
            if run["tls_verify"] == "false"
            else []
        ),
        "",
        (
            f"Cleanup: deleted {_cell(run['cleanup_deleted'])} audience(s) the run created; audiences still carrying the run's prefix afterwards: "
            f"{_cell(run['cleanup_leftovers_found'])} found, {_cell(run['cleanup_leftovers_deleted'])} deleted, {_cell(run['cleanup_leftovers_remaining'])} still listed."
        ),
        "",
        f"Page sizes walked to the end: {_cell(run.get('walked_to_end', 'none'))}.",
        "",
        "| level | " + " | ".join(OUTCOMES) + " |",
        "| --- |" + " ---: |" * len(OUTCOMES),
    ]
    counts = certificate.counts()
    lines += [
        f"| {level.value} | "
        + " | ".join(str(counts[level.value][outcome]) for outcome in OUTCOMES)
        + " |"
        for level in Level
    ]
    lines += _failing(certificate)
    gaps, errors = certificate.gaps(), certificate.errors()
    if gaps or errors:
        listed = [f"- {row.id}: {_cell('; '.join(row.reasons[:3]))}" for row in gaps] + [
            f"- error: {_cell(error)}" for error in errors
        ]
        lines += [
            "",
            f"<details><summary>{len(gaps)} counted rule(s) not verified, {len(errors)} error(s) that name no rule</summary>",
            "",
            *listed,
            "",
            "</details>",
        ]
    lines += [
        "",
        f"<details><summary>All rules ({len(certificate.rules)})</summary>",
        "",
        "| rule | level | outcome | statement |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {row.id} | {row.level} | {row.outcome} | {_cell(row.statement)} |"
        for row in certificate.rules
    ]
    lines += [
        "",
        "</details>",
        "",
        f"<sub>From {_code(certificate.junit_name)} (SHA-256 {_code(certificate.junit_sha256[:12])}); check with `audience-conformance verify certificate.json`.</sub>",
        "",
    ]
    return "\n".join(lines)


def _failing(certificate: Certificate) -> list[str]:
    failing = certificate.failing()
    if not failing:
        return []
    lines = [
        "",
        f"### Failing rules ({len(failing)})",
        "",
        "| rule | level | statement | failing test |",
        "| --- | --- | --- | --- |",
    ]
    for row in failing:
        test = row.reproduction.test if row.reproduction else ""
        lines.append(
            f"| **{row.id}** | {row.failed_level or row.level} | {_cell(row.statement)} | {_cell(test)} |"
        )
    environment = rerun_environment(certificate.run)
    for row in failing:
        lines += _details(row, environment)
    return lines


def _details(row: RuleRow, environment: str) -> list[str]:
    lines = ["", f"<details><summary>{row.id}: shortest failure, and how to see it again</summary>"]
    if row.reproduction is not None:
        lines += ["", f"From {_cell(row.reproduction.test)}:", "", *_fenced(row.reproduction.shown)]
    lines += [
        "",
        f"Run the rule's tests again ({_cell(environment)}):",
        "",
        *_fenced(row.rerun, "sh"),
    ]
    if row.reproduction is not None and row.reproduction.curl:
        lines += [
            "",
            "Send the failing request again (your key in place of the mask):",
            "",
            *_fenced(row.reproduction.curl, "sh"),
        ]
    return [*lines, "", "</details>"]


def _fenced(text: str, language: str = "text") -> list[str]:
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return [f"{fence}{language}", text, fence]


MARKUP = re.compile(r"([\\`*|<>&\[\]])")


def _cell(text: str) -> str:
    """Text safe inside a table cell or a sentence: one line, and every character that Markdown
    or HTML would read as markup escaped with a backslash, so it shows as written (no HTML
    entity that a plain-text reader would see as ``&#x27;``)."""
    return MARKUP.sub(r"\\\1", " ".join(str(text).split()))


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _code(text: str) -> str:
    """A code span: shown exactly as written (backslashes inside one are not escapes)."""
    flat = " ".join(str(text).split())
    fence = "`" * (_longest_backtick_run(flat) + 1)
    return (
        f"{fence} {flat} {fence}"
        if flat.startswith("`") or flat.endswith("`")
        else f"{fence}{flat}{fence}"
    )
