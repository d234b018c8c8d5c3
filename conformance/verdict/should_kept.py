"""SHOULD failures kept for the end of a test, so that they never block its MUST rules.

A test that checks MUST and SHOULD rules together (the schema test: ROB-01, AUD-01 and JSON-01
beside ROB-04) marks where it can go on after a failure with :func:`kept_for_the_end`, around
one case whose checks have all run. A violation there of SHOULD rules only (at the test's
levels) is kept and the test goes on; the plugin raises what was kept, as
:class:`~conformance.verdict.violations.KeptViolations`, once the test has run to its end. The kept rules
fail; the MUST rules were checked to the end, so they pass or fail on their own checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from conformance.contract.rules import RULES_BY_ID, Level
from conformance.verdict.outcomes import violated_rules
from conformance.verdict.violations import KeptViolations


@dataclass
class Keeper:
    """What one test kept: its first failure of each set of SHOULD rules."""

    declared: dict[str, Level]
    kept: dict[tuple[str, ...], BaseException] = field(default_factory=dict)

    def keeps(self, error: BaseException) -> bool:
        """Keep ``error`` when it violates SHOULD rules only, in a test that also checks a MUST rule."""
        rules = tuple(violated_rules(error))
        if (
            not rules
            or not isinstance(error, (Exception, BaseExceptionGroup))
            or Level.MUST not in self.declared.values()
        ):
            return False
        if any(self.level_of(rule) is not Level.SHOULD for rule in rules):
            return False
        self.kept.setdefault(rules, error)
        return True

    def level_of(self, rule: str) -> Level:
        return self.declared.get(rule) or RULES_BY_ID[rule].level

    @property
    def rules(self) -> list[str]:
        """The rules kept failures name, in the order met."""
        return list(dict.fromkeys(rule for rules in self.kept for rule in rules))

    def raise_kept(self) -> None:
        """At the end of a test that ran to its end: what was kept fails the test."""
        if self.kept:
            raise KeptViolations(list(self.kept.values()))

    def note_on(self, error: BaseException) -> None:
        """A test that stopped on another failure still says what it had kept."""
        for kept in self.kept.values():
            error.add_note(f"kept for the end of the test, before it stopped:\n{kept}")


_current: Keeper | None = None


def begin(declared: Sequence[tuple[str, Level]]) -> Keeper:
    """A test starts (called by the plugin around each rule-tagged test's call)."""
    global _current
    _current = Keeper(dict(declared))
    return _current


def end() -> None:
    global _current
    _current = None


@contextmanager
def kept_for_the_end() -> Iterator[None]:
    """Around a step after which the test can go on: a failure of SHOULD rules only is kept
    for the test's end; any other failure goes through at once. Outside a test the plugin
    watches, nothing is kept."""
    try:
        yield
    except BaseException as error:  # schemathesis' group of failures is a BaseExceptionGroup
        if _current is None or not _current.keeps(error):
            raise
