"""Checking a certificate: rebuilt from its JUnit file it must say the same, for the spec installed here.

A certificate is accepted only when nothing was changed (JUnit file, verdict, any rule's
outcome), it was made for the spec this suite carries, and every MUST rule passed. One that
leaves counted rules out of scope is true but partial, and says so with an exit code of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.contract.rules import Level
from conformance.contract.spec_files import spec_path, spec_sha256
from conformance.errors import ReportError
from conformance.report.json_form import FORMAT, to_json
from conformance.report.model import build_certificate, file_sha256
from conformance.verdict.exits import Exit
from conformance.verdict.per_rule import CONFORMANT, NO_VERDICT, NOT_EXERCISED, OUT_OF_SCOPE, PASSED


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found: changes made since the certificate was written (it cannot be
    trusted), and, for an untouched one, why it does not certify conformance."""

    changed: list[str]
    shortfalls: list[str]
    headline: str  # the verdict rebuilt from the JUnit file
    kind: str  # CONFORMANT, NOT CONFORMANT or NO VERDICT
    out_of_scope: tuple[
        str, ...
    ] = ()  # counted rules the run's options left out: a partial certificate

    @property
    def problems(self) -> list[str]:
        return self.changed + self.shortfalls

    @property
    def partial(self) -> bool:
        """Conformant on the rules in scope only: true, but no certificate of the whole contract."""
        return not self.problems and self.kind == CONFORMANT and bool(self.out_of_scope)

    @property
    def exit_code(self) -> int:
        """0 conformant on every counted rule, 5 on part of them (the run itself exits 0 for both,
        so a pipeline can tell them apart here), 1 not conformant or changed, 4 no verdict."""
        if self.changed:
            return int(Exit.NOT_CONFORMANT)
        if self.partial:
            return int(Exit.PARTIAL)
        return int(
            {CONFORMANT: Exit.CONFORMANT, NO_VERDICT: Exit.INCOMPLETE}.get(
                self.kind, Exit.NOT_CONFORMANT
            )
        )


def verify_certificate(certificate_path: Path) -> Verification:
    """Rebuild the certificate from its JUnit file and say what differs, and what it certifies."""
    claimed = load_certificate(certificate_path)
    junit = certificate_path.parent / str(claimed["junit"])
    if not junit.is_file():
        return Verification(
            [f"The JUnit file the certificate was built from, '{junit}', is missing."],
            [],
            "",
            NO_VERDICT,
        )
    changed = []
    actual = file_sha256(junit)
    if actual != claimed["junit_sha256"]:
        changed.append(
            f"JUnit file '{junit}' changed since the certificate was written: SHA-256 {actual}, certificate says {claimed['junit_sha256']}."
        )
    try:
        rebuilt = build_certificate(junit)
    except ReportError as error:
        return Verification([*changed, str(error)], [], "", NO_VERDICT)
    truth = to_json(rebuilt, junit_path=junit, out_dir=certificate_path.parent)
    changed += _differences(claimed, truth)
    changed += _spec_problems(claimed)
    shortfalls = [
        _rule_problem(rule)
        for rule in truth["rules"]
        if _counted(rule, rebuilt.strict)
        and rule["outcome"] not in (PASSED, NOT_EXERCISED, OUT_OF_SCOPE)
    ]
    if not rebuilt.conformant:
        shortfalls.append(f"The verdict is {rebuilt.verdict} on {rebuilt.level}.")
    if rebuilt.shard_note:  # one shard's certificate: the merge's is the one to verify
        shortfalls.append(rebuilt.shard_note)
    left_out = tuple(
        rule["id"]
        for rule in truth["rules"]
        if _counted(rule, rebuilt.strict) and rule["outcome"] == OUT_OF_SCOPE
    )
    return Verification(changed, shortfalls, rebuilt.verdict, rebuilt.kind, left_out)


def load_certificate(path: Path) -> dict[str, Any]:
    """The JSON form of a certificate; a user mistake (no file, not a certificate) is a ReportError."""
    if not path.is_file():
        raise ReportError(f"Certificate '{path}' does not exist.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReportError(
            f"'{path}' is not a certificate: it is not JSON (give the certificate.json written beside the JUnit file)."
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReportError(f"'{path}' is not a certificate: its 'format' is not '{FORMAT}'.")
    for key, kind in (
        ("junit", str),
        ("junit_sha256", str),
        ("verdict", str),
        ("run", dict),
        ("rules", list),
    ):
        if not isinstance(data.get(key), kind):
            raise ReportError(
                f"'{path}' is not a complete certificate: '{key}' is missing or not a {kind.__name__}."
            )
    return data


def _differences(claimed: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("verdict", "kind", "partial", "conformant", "strict", "errors", "baseline"):
        if claimed.get(key) != truth[key]:
            problems.append(
                f"{key}: the certificate says {claimed.get(key)!r}, its JUnit file says {truth[key]!r}."
            )
    claimed_run = claimed["run"]
    for key, value in truth["run"].items():
        if claimed_run.get(key) != value:
            problems.append(
                f"run {key}: the certificate says {claimed_run.get(key)!r}, its JUnit file says {value!r}."
            )
    claimed_rules = {
        str(rule.get("id")): rule for rule in claimed["rules"] if isinstance(rule, dict)
    }
    for rule in truth["rules"]:
        mine = claimed_rules.pop(rule["id"], None)
        if mine is None:
            problems.append(
                f"{rule['id']}: missing from the certificate (its JUnit file says {rule['outcome']})."
            )
            continue
        for key in ("outcome", "failed_level", "level"):
            if mine.get(key) != rule[key]:
                problems.append(
                    f"{rule['id']}: {key} is {mine.get(key)!r} in the certificate, {rule[key]!r} from its JUnit file."
                )
    problems += [
        f"{rule_id}: in the certificate but not a rule of this suite." for rule_id in claimed_rules
    ]
    return problems


def _spec_problems(claimed: dict[str, Any]) -> list[str]:
    certified = claimed["run"].get("spec_sha256")
    try:
        installed = spec_sha256()
    except OSError:
        return [f"The installed suite has no spec at '{spec_path()}' to compare with."]
    if certified != installed:
        return [
            f"spec: the certificate was made for spec SHA-256 {certified}, the installed suite carries {installed}."
        ]
    return []


def _counted(rule: dict[str, Any], strict: bool) -> bool:
    return strict or rule["level"] == Level.MUST.value


def _rule_problem(rule: dict[str, Any]) -> str:
    outcome = rule["outcome"]
    why = f": {rule['reasons'][0]}" if rule.get("reasons") else ""
    return f"{rule['level']} rule {rule['id']} {outcome}{why}."
