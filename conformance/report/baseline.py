"""A run against a baseline: which rules changed since an earlier certificate, and which regressed.

A team that fails some rules today gates on regressions instead of on the verdict: a
*regression* is a rule that passed in the baseline certificate and fails now, at a level the
new run's verdict counts (MUST; every rule with ``--strict``, as the new certificate records it).
Every other change is named but gates nothing: newly passing, newly failing a rule that had not
passed (or failing at SHOULD level only, without ``--strict``), newly out of scope or in scope,
newly not verified or not exercised. Both sides are certificate.json files (:mod:`json_form`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from junitparser import JUnitXml, TestSuite

from conformance.contract.rules import Level
from conformance.errors import ReportError
from conformance.report.json_form import BASELINE_PROPERTY
from conformance.report.verify import load_certificate
from conformance.report.writer import write_certificate
from conformance.verdict.per_rule import FAILED, NOT_VERIFIED, OUT_OF_SCOPE, PASSED

ABSENT = "absent"  # a rule one side's catalogue does not hold
REGRESSION = "regression"
NEWLY_FAILING = "newly failing"
NEWLY_FAILING_UNCOUNTED = "newly failing at SHOULD level"  # a regression with --strict only
NEWLY_PASSING = "newly passing"
NEWLY_OUT_OF_SCOPE = "newly out of scope"
NEWLY_IN_SCOPE = "newly in scope"
# The order a comparison lists its changes in: what gates first.
KINDS = (
    REGRESSION,
    NEWLY_FAILING,
    NEWLY_FAILING_UNCOUNTED,
    NEWLY_PASSING,
    NEWLY_OUT_OF_SCOPE,
    NEWLY_IN_SCOPE,
    "newly not verified",
    "newly not exercised",
    "new rule",
    "no longer a rule",
)


@dataclass(frozen=True)
class Change:
    """One rule whose outcome is not the baseline's."""

    rule: str
    level: str
    was: str
    now: str
    kind: str  # one of KINDS


@dataclass(frozen=True)
class Baseline:
    """A baseline read once, before the run: the run removes the certificate it will replace,
    and ``reports/certificate.json`` is the baseline a user reaches for first."""

    path: Path
    certificate: Mapping[str, Any]


@dataclass(frozen=True)
class Comparison:
    """What changed between a baseline certificate and a new one, rule by rule."""

    baseline: str  # the baseline's file, as the user named it
    changes: tuple[Change, ...]  # in the order of KINDS, then of the catalogue
    warnings: tuple[str, ...]  # the two certificates are not of one target, spec or complete run

    @property
    def regressions(self) -> list[Change]:
        return [change for change in self.changes if change.kind == REGRESSION]

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    def headline(self) -> str:
        """One line: regressed or not, then how many rules changed each way."""
        regressed = self.regressions
        head = "no regression: no rule that passed in the baseline fails now"
        if regressed:
            verb = "fails" if len(regressed) == 1 else "fail"
            names = ", ".join(change.rule for change in regressed)
            head = f"REGRESSION: {_rules_text(len(regressed))} passed in the baseline and {verb} now: {names}"
        others = [
            f"{len(found)} {kind} ({', '.join(change.rule for change in found)})"
            for kind in KINDS[1:]
            if (found := self.of_kind(kind))
        ]
        if not self.changes:
            others = ["every rule has the outcome it had"]
        return "; ".join([head, *others])


def _rules_text(count: int) -> str:
    return f"{count} rule" + ("" if count == 1 else "s")


def record(junit_path: Path, comparison: Comparison) -> list[Path]:
    """Write the comparison on the run's JUnit file, as a testsuite property, and the
    certificate again from it: ``verify`` and ``report`` then find it there too."""
    xml = JUnitXml.fromfile(str(junit_path))
    # junitparser annotates fromfile as JUnitXml, but a file whose root is <testsuite> reads as one
    suites = list(xml) if xml._tag == "testsuites" else [cast(TestSuite, xml)]
    if not suites:
        raise ReportError(f"'{junit_path}' has no testsuite to record the baseline on.")
    for stale in [prop for prop in suites[0].properties() if prop.name == BASELINE_PROPERTY]:
        suites[0].remove_property(stale)  # gated again: one comparison, the last one
    suites[0].add_property(
        BASELINE_PROPERTY, f"against {comparison.baseline}: {comparison.headline()}"
    )
    xml.write(str(junit_path))
    return write_certificate(junit_path)


def compare_files(baseline: Path, new: Path) -> Comparison:
    """Compare two certificate.json files; a file that is not one is a :class:`ReportError`."""
    return compare(_loaded(baseline), _loaded(new), baseline=str(baseline))


def load_baseline(path: Path) -> Baseline:
    """A baseline certificate, read before a run starts: a user mistake fails in one line."""
    return Baseline(path, _loaded(path))


def compare_with(baseline: Baseline, new: Path) -> Comparison:
    """The run's new certificate against the baseline as it was read before the run."""
    return compare(baseline.certificate, _loaded(new), baseline=str(baseline.path))


def compare(old: Mapping[str, Any], new: Mapping[str, Any], *, baseline: str) -> Comparison:
    """Rule by rule, in the new certificate's order (the catalogue's), then rules it lacks."""
    strict = bool(new.get("strict"))
    before, after = _rules(old), _rules(new)
    changes = [
        change
        for rule_id in [*after, *(rule_id for rule_id in before if rule_id not in after)]
        if (change := _change(rule_id, before.get(rule_id), after.get(rule_id), strict))
    ]
    changes.sort(key=lambda change: KINDS.index(change.kind))  # stable: catalogue order kept
    return Comparison(baseline, tuple(changes), tuple(_warnings(old, new)))


def _change(
    rule_id: str, was: Mapping[str, Any] | None, now: Mapping[str, Any] | None, strict: bool
) -> Change | None:
    before = str(was["outcome"]) if was else ABSENT
    after = str(now["outcome"]) if now else ABSENT
    if before == after:
        return None
    level = str((now or was or {}).get("level", ""))
    return Change(rule_id, level, before, after, _kind(before, after, now, strict))


def _kind(before: str, after: str, now: Mapping[str, Any] | None, strict: bool) -> str:
    if after == FAILED:
        counted = strict or (now or {}).get("failed_level") == Level.MUST.value
        if before == PASSED:
            return REGRESSION if counted else NEWLY_FAILING_UNCOUNTED
        return NEWLY_FAILING
    if before == ABSENT:
        return "new rule"
    if after == ABSENT:
        return "no longer a rule"
    if before == OUT_OF_SCOPE:
        return NEWLY_IN_SCOPE  # a rule the baseline's run left out: nothing was fixed
    if after == PASSED:
        return NEWLY_PASSING
    if after == OUT_OF_SCOPE:
        return NEWLY_OUT_OF_SCOPE
    return "newly not verified" if after == NOT_VERIFIED else "newly not exercised"


def _warnings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Differences that make the comparison weaker, never void: a preview environment has a
    new URL each time, and upgrading the suite changes the spec's digest."""
    was, now = old["run"], new["run"]
    warnings = []
    embedded = was.get("embedded_reference") == now.get("embedded_reference") == "true"
    if was.get("target") != now.get("target") and not embedded:  # its port changes every run
        warnings.append(
            f"the baseline certified {was.get('target')}, this certificate {now.get('target')}"
        )
    if was.get("spec_sha256") != now.get("spec_sha256"):
        warnings.append(
            f"the baseline was made for spec SHA-256 {str(was.get('spec_sha256'))[:12]}, this certificate for {str(now.get('spec_sha256'))[:12]}: a rule may mean otherwise"
        )
    if was.get("run_end") != "completed":
        warnings.append(
            f"the baseline's run did not complete (its verdict: {old.get('verdict')}): a rule it did not verify cannot regress"
        )
    return warnings


def _rules(certificate: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(rule["id"]): rule for rule in certificate["rules"]}


def _loaded(path: Path) -> dict[str, Any]:
    try:
        data = load_certificate(path)
    except OSError as error:
        raise ReportError(
            f"Certificate '{path}' cannot be read: {error.strerror or error}."
        ) from None
    for rule in data["rules"]:
        if not (
            isinstance(rule, dict)
            and isinstance(rule.get("id"), str)
            and isinstance(rule.get("outcome"), str)
        ):
            raise ReportError(
                f"'{path}' is not a complete certificate: a rule without an 'id' and an 'outcome'."
            )
    return data
