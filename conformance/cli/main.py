"""The ``audience-conformance`` command: run, serve, cleanup, rules, report, verify, diff, docs.

A thin front: ``run`` hands its settings to the pytest plugin and runs the suite in this
process (keys travel in the environment, never on a command line another process can
read). A user mistake prints one line, ``audience-conformance: error: ...``, and exits 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__
from conformance.cli.serve import command_serve
from conformance.errors import SettingsError, UsageError
from conformance.run.option_values import connection_from, settings_from
from conformance.run.options import (
    CLI_FLAGS,
    CONNECTION,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECONDARY_API_KEY,
    Front,
    of_front,
)
from conformance.run.settings import checked_output_file
from conformance.verdict.exits import EXIT_HELP, PROG, Exit, user_error_line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Conformance suite for the Audience API (/v1/audiences).",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(subcommands=commands.choices)

    run = commands.add_parser(
        "run",
        help="certify a target (default: the embedded reference server)",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_options(run, group=None)
    _add_run_options(run.add_argument_group(CONNECTION), group=CONNECTION)
    run.set_defaults(handler=command_run)

    serve = commands.add_parser("serve", help="start the reference Audience API server")
    serve.add_argument(
        "--db",
        default="audiences.sqlite3",
        help="SQLite file that keeps the data (default audiences.sqlite3)",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port to listen on (default 8080; 0 picks a free one)",
    )
    serve.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY=ACCOUNT",
        help="an API key and the account it belongs to (repeatable, e.g. once for each of two accounts); keys for a second account, or for two, are generated and printed with the run command that certifies the server",
    )
    serve.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="add MS milliseconds to every answer, as a staging across a network would (default 0)",
    )
    serve.set_defaults(handler=command_serve)

    cleanup = commands.add_parser(
        "cleanup", help="delete audiences that earlier runs left behind (by their name prefix)"
    )
    cleanup.add_argument("--base-url", help=f"target base URL [{ENV_BASE_URL}]")
    cleanup.add_argument("--api-key", help=f"API key [{ENV_API_KEY}]")
    cleanup.add_argument(
        "--secondary-api-key", help=f"second account's key, cleaned too [{ENV_SECONDARY_API_KEY}]"
    )
    cleanup.add_argument(
        "--run-id",
        help="only this run's leftovers (the six characters after 'acx' in their names), whatever their age",
    )
    cleanup.add_argument(
        "--older-than",
        default="1h",
        metavar="AGE",
        help="without --run-id, only leftovers created longer ago than this (30m, 1h, 2d; default 1h), so a run going on now keeps its data",
    )
    cleanup.add_argument(
        "--dry-run", action="store_true", help="print what would be deleted, delete nothing"
    )
    cleanup.add_argument("--timeout", help="per-request timeout in seconds (default 10)")
    _add_run_options(cleanup.add_argument_group(CONNECTION), group=CONNECTION)
    cleanup.set_defaults(handler=command_cleanup)

    rules = commands.add_parser("rules", help="print the rule catalogue")
    rules.set_defaults(handler=command_rules)

    files = commands.add_parser(
        "schemathesis-files",
        help="copy the packaged spec and the project's schemathesis settings into a folder, for plain schemathesis",
    )
    files.add_argument(
        "folder",
        metavar="DIR",
        help="folder to write audiences.yaml and schemathesis.toml into (made if missing)",
    )
    files.set_defaults(handler=command_schemathesis_files)

    from conformance.cli.baseline_gate import add_diff_command
    from conformance.cli.report_commands import add_report_commands

    add_report_commands(commands)
    add_diff_command(commands)
    return parser


def _add_run_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, group: str | None
) -> None:
    """The run's options of one group, from the table, as the command line spells them."""
    for option in of_front(Front.CLI):
        if option.group != group:
            continue
        spec = {**option.parsed_as(), "dest": option.name, "help": option.described()}
        if option.metavar:
            spec["metavar"] = option.metavar
        if option.choices:
            spec["choices"] = list(option.choices)
        parser.add_argument(*filter(None, (option.short, option.flag)), **spec)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # argparse would blame the top-level command; the mistake is in the subcommand's options.
        args.subcommands.get(args.command, parser).error(
            f"unrecognized arguments: {' '.join(unknown)}"
        )
    if not getattr(args, "handler", None):
        parser.print_help()
        return Exit.USAGE
    try:
        return int(args.handler(args))
    except (UsageError, SettingsError) as error:
        print(user_error_line(str(error)), file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return Exit.INCOMPLETE


def command_run(args: argparse.Namespace) -> int:
    from conformance.cli.baseline_gate import checked_baseline
    from conformance.cli.parallel import checked_shard, checked_workers
    from conformance.cli.runner import run_suite

    settings = settings_from(
        {option.name: getattr(args, option.name) for option in of_front(Front.CLI)}
    )
    baseline = checked_baseline(args.baseline)
    junit_xml = checked_output_file(args.junit_xml, CLI_FLAGS["junit_xml"])
    # A mistake in either is the user's, said before anything starts.
    workers = checked_workers(args.workers, settings.concurrency)
    shard = checked_shard(args.shard)
    return run_suite(
        settings,
        junit_xml=junit_xml,
        keyword=args.keyword,
        workers=workers,
        shard=shard,
        baseline=baseline,
    )


def command_cleanup(args: argparse.Namespace) -> int:
    from conformance.cli.cleanup import cleanup_leftovers

    return cleanup_leftovers(
        base_url=args.base_url or os.environ.get(ENV_BASE_URL),
        keys=[
            args.api_key or os.environ.get(ENV_API_KEY),
            args.secondary_api_key or os.environ.get(ENV_SECONDARY_API_KEY),
        ],
        run_id=args.run_id,
        timeout=args.timeout,
        older_than=args.older_than,
        dry_run=args.dry_run,
        connection=connection_from(vars(args)),
        rate_limit=args.rate_limit,
    )


def command_rules(args: argparse.Namespace) -> int:
    from conformance.contract.rules import RULES

    for rule in RULES:
        print(f"{rule.id:<9} {rule.level.value:<6} {rule.statement}")
    return Exit.CONFORMANT


def command_schemathesis_files(args: argparse.Namespace) -> int:
    """Plain schemathesis needs the spec and the settings as files; an installed package has them
    somewhere in site-packages, so they are copied where the user says."""
    from importlib import resources

    folder = Path(args.folder)
    packaged = resources.files("conformance")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, source in (
            ("audiences.yaml", packaged / "spec" / "audiences.yaml"),
            ("schemathesis.toml", packaged / "schemathesis.toml"),
        ):
            (folder / name).write_bytes(source.read_bytes())
    except OSError as error:
        raise UsageError(f"cannot write into '{folder}': {error.strerror or error}.") from None
    print(
        f"wrote {folder / 'audiences.yaml'} and {folder / 'schemathesis.toml'}; with {ENV_API_KEY} and {ENV_BASE_URL} set, run:"
    )
    print(
        f'  schemathesis --config-file {folder / "schemathesis.toml"} run {folder / "audiences.yaml"} --url "${ENV_BASE_URL}" --checks all'
    )
    return Exit.CONFORMANT
