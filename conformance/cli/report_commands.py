"""The ``report``, ``verify`` and ``docs`` subcommands: thin handlers over the report package."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from conformance.errors import ReportError
from conformance.verdict.exits import VERIFY_EXIT_HELP

VERIFIED = "certificate verified"
T = TypeVar("T")


def add_report_commands(subparsers: Any) -> None:
    """Register the three subcommands on the CLI's subparsers."""
    report = subparsers.add_parser(
        "report",
        help="rebuild the certificate (HTML, Markdown, JSON) from a JUnit file of the suite, or merge the JUnit files of one run's shards into one",
    )
    report.add_argument(
        "junit",
        metavar="JUNIT",
        nargs="+",
        help="JUnit XML written by 'audience-conformance run' (or by pytest with the plugin); several: all N shards of one run (--shard K/N), merged (a shard missing, given twice or of another run is refused, exit 2)",
    )
    report.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the certificate (default: beside the JUnit file; required to merge shards)",
    )
    report.set_defaults(handler=command_report)

    verify = subparsers.add_parser(
        "verify",
        help="check a certificate against its JUnit file and this suite's spec; exit 1 on any problem, 5 for a partial one",
        epilog=VERIFY_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument(
        "certificate",
        metavar="CERT.json",
        help="the certificate.json written beside the JUnit file",
    )
    verify.set_defaults(handler=command_verify)

    docs = subparsers.add_parser(
        "docs", help="write the offline documentation: operations, rules, tests and mutants"
    )
    docs.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="folder to write the site into (index.html first)",
    )
    docs.add_argument(
        "--mutants",
        metavar="DIR",
        help="the mutant catalogue folder (default: tests/mutation under the current folder, when present)",
    )
    docs.set_defaults(handler=command_docs)


def command_report(args: argparse.Namespace) -> int:
    from conformance.report.writer import write_certificate

    if len(args.junit) > 1:
        from conformance.cli.shard_merge import merge_shards

        if not args.out:
            raise _usage(
                "merging shards needs --out DIR, the folder for the merged JUnit file and its certificate."
            )
        merged = _user_facing(
            lambda: merge_shards([Path(path) for path in args.junit], Path(args.out))
        )
        print(f"merged: {merged}")
        args.junit = [str(merged)]
    else:
        from conformance.cli.shard_merge import refuse_a_lone_shard

        _user_facing(lambda: refuse_a_lone_shard(Path(args.junit[0])))
    paths = _user_facing(
        lambda: write_certificate(Path(args.junit[0]), Path(args.out) if args.out else None)
    )
    for path in paths:
        print(f"certificate: {path}")
    # What the files say, so a merge of shards that did not all complete reads NO VERDICT here too.
    written = next((path for path in paths if path.suffix == ".json"), None)
    if written is not None:
        print(f"verdict: {json.loads(written.read_text(encoding='utf-8'))['verdict']}")
    return 0


def command_verify(args: argparse.Namespace) -> int:
    from conformance.report.verify import verify_certificate

    found = _user_facing(lambda: verify_certificate(Path(args.certificate)))
    for problem in found.problems:
        print(problem)
    if not found.problems:
        print(f"{VERIFIED}: {found.headline}")
    if found.partial:
        print(
            f"partial: {len(found.out_of_scope)} counted rules out of scope by the run's options: {', '.join(found.out_of_scope)}"
        )
    return found.exit_code


def command_docs(args: argparse.Namespace) -> int:
    from conformance.report.docs import write_docs

    pages = _user_facing(
        lambda: write_docs(Path(args.out), mutants=Path(args.mutants) if args.mutants else None)
    )
    print(f"documentation: {pages[0]} ({len(pages)} pages)")
    return 0


def _usage(message: str) -> Exception:
    from conformance.errors import UsageError

    return UsageError(message)


def _user_facing(action: Callable[[], T]) -> T:
    """A ReportError is the user's mistake: one line, exit 2, through the CLI's UsageError."""
    from conformance.errors import UsageError

    try:
        return action()
    except ReportError as error:
        raise UsageError(str(error)) from None
