"""Gating on regressions: ``run --baseline OLD.json`` and ``diff OLD.json NEW.json``.

Both compare two certificates with :mod:`conformance.report.baseline` and say the same: every
rule that changed, and whether one regressed. ``diff`` prints Markdown that reads as plain text
too, so a CI job can append it to its summary page.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.errors import ReportError, UsageError
from conformance.report.baseline import (
    Baseline,
    Comparison,
    compare_files,
    compare_with,
    load_baseline,
    record,
)
from conformance.run.options import CLI_FLAGS, OPTIONS_BY_NAME
from conformance.verdict.exits import Exit

DIFF_EXIT_HELP = """exit codes:
  0  no regression: no rule that passed in OLD.json fails in NEW.json (other changes are listed)
  1  regression: a rule that passed in OLD.json fails in NEW.json, at a level NEW.json's
     verdict counts (MUST rules; every rule when NEW.json was made with --strict)
  2  usage error: no such file, not a certificate
"""
# A run that decided nothing has nothing to compare: its own code stands.
NOTHING_DECIDED = (Exit.USAGE, Exit.UNREACHABLE)


def add_diff_command(subparsers: Any) -> None:
    """Register ``diff`` on the CLI's subparsers."""
    diff = subparsers.add_parser(
        "diff",
        help="compare two certificates rule by rule; exit 1 when a rule that passed in the first fails in the second",
        epilog=DIFF_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("old", metavar="OLD.json", help="the baseline: an earlier certificate.json")
    diff.add_argument("new", metavar="NEW.json", help="the certificate.json to compare with it")
    diff.set_defaults(handler=command_diff)


def command_diff(args: argparse.Namespace) -> int:
    comparison = _compared(Path(args.old), Path(args.new))
    print(as_markdown(comparison))
    return Exit.NOT_CONFORMANT if comparison.regressions else Exit.CONFORMANT


def checked_baseline(value: str | None) -> Baseline | None:
    """The baseline the run is gated on (the option, else its variable), read before the run
    starts: a missing or broken file is the user's mistake, said in one line."""
    option = OPTIONS_BY_NAME["baseline"]
    given = value or (os.environ.get(option.env) if option.env else None)
    if not given:
        return None
    try:
        return load_baseline(Path(given))
    except ReportError as error:
        raise UsageError(f"{CLI_FLAGS['baseline']}: {error}") from None


def gate(code: int, junit: Path | None, certificate: Sequence[Path], baseline: Baseline) -> int:
    """The run's exit code against its baseline, after printing what changed and writing it on
    JUnit and the certificate: 1 on a regression (a failure seen is one, even in a run that did
    not complete), else 0 for a run with a verdict; a run without one (4) keeps its code, as one
    that decided nothing (2, 3) does: neither can show there is no regression."""
    if code in NOTHING_DECIDED:
        return code
    written = next((path for path in certificate if path.suffix == ".json"), None)
    if written is None or junit is None:
        print(f"baseline: no certificate.json was written to compare with {baseline.path}")
        return code
    try:
        comparison = compare_with(baseline, written)
        record(junit, comparison)
    except ReportError as error:  # the new certificate cannot be read back
        print(f"baseline: cannot compare: {error}")
        return code
    for line in as_lines(comparison):
        print(line)
    if comparison.regressions:
        return Exit.NOT_CONFORMANT
    return Exit.CONFORMANT if code in (Exit.CONFORMANT, Exit.NOT_CONFORMANT) else code


def as_lines(comparison: Comparison) -> list[str]:
    """For the terminal at the end of a run: the headline, then one line per changed rule."""
    lines = [f"baseline {comparison.baseline}: {comparison.headline()}"]
    lines += [f"baseline warning: {warning}" for warning in comparison.warnings]
    lines += [
        f"  {change.rule} ({change.level}): {change.was} -> {change.now}, {change.kind}"
        for change in comparison.changes
    ]
    return lines


def as_markdown(comparison: Comparison) -> str:
    """A heading, the headline, any warning, and a table of the changed rules."""
    lines = [f"### Against the baseline `{comparison.baseline}`", "", comparison.headline() + "."]
    if comparison.warnings:
        lines += ["", *(f"- warning: {warning}" for warning in comparison.warnings)]
    if comparison.changes:
        lines += [
            "",
            "| Rule | Level | Baseline | Now | Change |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {change.rule} | {change.level} | {change.was} | {change.now} | {change.kind} |"
            for change in comparison.changes
        ]
    return "\n".join(lines)


def _compared(old: Path, new: Path) -> Comparison:
    try:
        return compare_files(old, new)
    except ReportError as error:
        raise UsageError(str(error)) from None
