"""One shard of a run (``--shard K/N``): what its exit code, its lines and its certificate say.

A shard runs only its part of the tests, so the run's verdict is not its to give: the other
shards' rules have no test in it, and the merge of all N (``audience-conformance report``)
decides them. What a shard can say is whether anything *it ran* failed. Its exit code:

- 1 when a test it ran failed a counted rule (a MUST rule; any rule with ``--strict``): the
  merge cannot be conformant then, whatever the other shards find;
- 4 when one of its tests ended in an error that names no rule (its own fault), as for any
  run that does not complete (interrupted, budget spent, rate limited, a suite error);
- 0 otherwise, though the rules of the other shards are not verified in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.verdict.exits import PROG, Exit
from conformance.verdict.per_rule import NOT_VERIFIED, PASSED, RuleResult, Verdict

PROPERTY = "shard"  # on the JUnit testsuite: 'K/N' for a shard, 'all N' for a merge of N
MERGE_COMMAND = f"{PROG} report"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``."""

    index: int
    count: int

    @classmethod
    def of(cls, index: int, count: int) -> Shard | None:
        """Shard ``index`` of ``count``; None for the one shard of 1, which is the whole run."""
        return cls(index, count) if count > 1 else None

    @classmethod
    def of_property(cls, value: str | None) -> Shard | None:
        """The shard a JUnit file's ``shard`` property names; None for a whole run or a merge."""
        match = re.fullmatch(r"(\d+)/(\d+)", (value or "").strip())
        return cls.of(int(match[1]), int(match[2])) if match else None

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def suffix(self) -> str:
        """What a shard's file names carry, so that shards writing to one folder keep apart."""
        return f"-shard-{self.index}-of-{self.count}"


def elsewhere(verdict: Verdict) -> list[RuleResult]:
    """Rules none of whose tests ran in this shard: another shard (or none) decides them."""
    return [
        result
        for result in verdict.results.values()
        if not result.tests and result.outcome == NOT_VERIFIED
    ]


def unverified_here(verdict: Verdict) -> list[RuleResult]:
    """Counted rules whose tests ran here without deciding them (blocked, undecided)."""
    return [result for result in verdict.unverified() if result.tests]


def shard_exit(verdict: Verdict) -> Exit:
    """A completed shard's exit code: did anything it ran fail?"""
    if verdict.counted_failures():
        return Exit.NOT_CONFORMANT
    if verdict.errors:
        return Exit.INCOMPLETE
    return Exit.CONFORMANT


def shard_headline(verdict: Verdict, shard: Shard) -> str:
    """The shard's one line at the end of its run."""
    merge = f"the verdict comes from the merge of the {shard.count} shards ({MERGE_COMMAND})"
    failing = [result.rule.id for result in verdict.counted_failures()]
    if failing:
        return f"shard {shard.label}: failing rules: {', '.join(failing)}; the run is NOT CONFORMANT whatever the other shards find, as the merge will say ({MERGE_COMMAND})"
    if verdict.errors:
        return f"shard {shard.label}: no verdict: {len(verdict.errors)} test(s) ended in an error that names no rule"
    if not any(result.tests for result in verdict.results.values()):
        return f"shard {shard.label}: none of the run's tests fell in this shard; {merge}"
    passed = sum(1 for result in verdict.results.values() if result.outcome == PASSED)
    return (
        f"shard {shard.label}: no test failed ({passed} rules passed here, "
        f"{len(elsewhere(verdict))} are left to the other shards); {merge}"
    )


def shard_summary(verdict: Verdict, shard: Shard) -> list[str]:
    """The verdict section of a shard's terminal summary: what it found, not the run's verdict."""
    lines = [line for line in verdict.summary_lines() if not line.startswith("NOT VERIFIED ")]
    lines = [line for line in lines if not line.startswith("verdict: ")]
    lines += [
        f"NOT VERIFIED {result.rule.id}: {'; '.join(result.reasons[:3])}"
        for result in unverified_here(verdict)
    ]
    lines.append(shard_headline(verdict, shard))
    return lines


def shard_note(
    shard: Shard,
    *,
    stopped: str | None = None,
    failed: int = 0,
    not_conformant: bool = False,
    undecided: tuple[int, int] = (0, 0),
) -> str:
    """What a shard's certificate says under its headline: what the shard found (how it
    stopped, its failed rules, its own rules not verified and errors), then whose verdict it is."""
    if stopped:
        found = f"The shard ended early ({stopped}): its outcomes are incomplete. "
    elif failed:
        found = f"{failed} rule(s) failed in this shard"
        found += ", so the run is not conformant. " if not_conformant else ". "
    elif any(undecided):
        found = f"{undecided[0]} rule(s) of its tests not verified, {undecided[1]} test(s) ended in errors that name no rule. "
    else:
        found = ""
    return (
        f"{found}One shard ({shard.label}) of a run split in {shard.count}: it ran only its part "
        f"of the tests and certifies nothing alone; the verdict comes from merging the JUnit "
        f"files of all {shard.count} shards with '{MERGE_COMMAND}'."
    )


def shard_verdict(shard: Shard) -> str:
    """A shard certificate's headline when no test it ran failed."""
    return f"SHARD {shard.label}: no test failed; the verdict comes from the merge"
