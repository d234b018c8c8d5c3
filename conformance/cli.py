"""The ``audience-conformance`` command: run, serve, cleanup, rules, report, verify, docs.

A thin front: ``run`` hands its settings to the pytest plugin and runs the suite in this
process (keys travel in the environment, never on a command line another process can
read). A user mistake prints one line, ``audience-conformance: error: ...``, and exits 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__
from conformance.errors import SettingsError, UsageError
from conformance.exits import EXIT_HELP, PROG, Exit, user_error_line
from conformance.profiles import PROFILES
from conformance.ratelimit import ENV_RATE_LIMIT
from conformance.settings import (
    CLI_OPTIONS,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECONDARY_API_KEY,
    build_settings,
    checked_output_file,
)
from conformance.transport import (
    ENV_CA_BUNDLE,
    ENV_CLIENT_CERT,
    ENV_CLIENT_KEY,
    ENV_HEADERS,
    ENV_PROXY,
    ConnectionOptions,
)

DEFAULT_JUNIT = "reports/junit.xml"


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
    run.add_argument(
        "--base-url",
        help=f"target base URL, a path prefix is kept [{ENV_BASE_URL}]; without it the embedded reference server is started and certified",
    )
    run.add_argument(
        "--api-key",
        help=f"API key for the target [{ENV_API_KEY}; prefer the variable: options show in process lists]",
    )
    run.add_argument(
        "--secondary-api-key",
        help=f"key of a second account, enables the tenant-isolation rules [{ENV_SECONDARY_API_KEY}]",
    )
    run.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=None,
        help="how many examples and how much data (default: default)",
    )
    run.add_argument(
        "--strict", action="store_true", help="SHOULD rules count towards the verdict too"
    )
    run.add_argument(
        "--read-only",
        action="store_true",
        help="send no request other than GET; tests that need writes are out of scope",
    )
    run.add_argument(
        "--junit-xml",
        default=DEFAULT_JUNIT,
        help=f"where to write JUnit XML (default {DEFAULT_JUNIT}); the certificate goes beside it",
    )
    run.add_argument(
        "--seed", help="seed for reproducible data generation (printed at the end of every run)"
    )
    run.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="ID",
        help="run only the tests of this rule (repeatable)",
    )
    run.add_argument("--timeout", help="per-request timeout in seconds (default 10)")
    run.add_argument(
        "--max-duration", help="time budget of the whole run in seconds (default: the profile's)"
    )
    run.add_argument("-k", dest="keyword", help="pytest -k expression, to narrow the tests further")
    run.add_argument(
        "--workers",
        metavar="N|auto",
        help="run the tests in N processes (pytest-xdist; 'auto': one per core); still one run, one verdict, one certificate",
    )
    run.add_argument(
        "--shard",
        metavar="K/N",
        help="run only shard K of N (a CI matrix job); merge the shards' JUnit files with 'report'",
    )
    _add_connection_arguments(
        run.add_argument_group("reaching a staging (TLS, proxy, gateway, throttling)")
    )
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
        help="an API key and the account it belongs to (repeatable); without any, one is generated and printed",
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
    _add_connection_arguments(
        cleanup.add_argument_group("reaching a staging (TLS, proxy, gateway, throttling)")
    )
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

    from conformance.report.commands import add_report_commands

    add_report_commands(commands)
    return parser


def _add_connection_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--ca-bundle",
        metavar="PATH",
        help=f"CA bundle (PEM) that signs the target's certificate [{ENV_CA_BUNDLE}, else REQUESTS_CA_BUNDLE, SSL_CERT_FILE or CURL_CA_BUNDLE]",
    )
    group.add_argument(
        "--client-cert",
        metavar="PATH",
        help=f"client certificate for mutual TLS (PEM; may hold the key too) [{ENV_CLIENT_CERT}]",
    )
    group.add_argument(
        "--client-key",
        metavar="PATH",
        help=f"unencrypted key of the client certificate [{ENV_CLIENT_KEY}]",
    )
    group.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the target's TLS certificate; printed as a warning and written on the certificate",
    )
    group.add_argument(
        "--proxy",
        metavar="URL",
        help=f"forward proxy, e.g. http://proxy.internal:3128; https targets only (a CONNECT tunnel: the proxy never sees the key) [{ENV_PROXY}]",
    )
    group.add_argument(
        "--trust-env",
        action="store_true",
        help="use HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment (ignored unless given)",
    )
    group.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help=f"header sent on every request, e.g. a gateway's tenant or token; repeatable; values are masked in every output [{ENV_HEADERS}, one header per line; prefer it for secrets]",
    )
    group.add_argument(
        "--rate-limit",
        metavar="N/s|N/m",
        help=f"at most N requests per second (N/s) or minute (N/m), across the whole run [{ENV_RATE_LIMIT}]",
    )


def connection_options(args: argparse.Namespace) -> ConnectionOptions:
    return ConnectionOptions(
        ca_bundle=args.ca_bundle,
        client_cert=args.client_cert,
        client_key=args.client_key,
        insecure=args.insecure,
        proxy=args.proxy,
        trust_env=args.trust_env,
        headers=tuple(args.header),
    )


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
    from conformance.runner import run_suite

    settings = build_settings(
        base_url=args.base_url,
        api_key=args.api_key,
        secondary_api_key=args.secondary_api_key,
        profile=args.profile,
        strict=args.strict,
        read_only=args.read_only,
        seed=args.seed,
        rules=args.rule,
        timeout=args.timeout,
        max_duration=args.max_duration,
        connection=connection_options(args),
        rate_limit=args.rate_limit,
    )
    junit_xml = checked_output_file(args.junit_xml, CLI_OPTIONS["junit_xml"])
    from conformance.parallel import parallel_args

    parallel_args(
        args.workers, args.shard
    )  # a mistake in either is the user's, before anything starts
    return run_suite(
        settings, junit_xml=junit_xml, keyword=args.keyword, workers=args.workers, shard=args.shard
    )


def command_serve(args: argparse.Namespace) -> int:
    from conformance.reference.keys import generate_key, parse_key_spec
    from conformance.reference.server import serve

    keys: dict[str, str] = {}
    for spec in args.key:
        try:
            key, account = parse_key_spec(spec)
        except ValueError as error:
            raise UsageError(str(error)) from None
        keys[key] = account
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, not {args.port}.")
    db = Path(args.db)
    if db.is_dir() or not db.parent.exists():
        raise UsageError(f"--db '{args.db}' must be a file in an existing folder.")
    if not keys:
        key = generate_key()
        keys[key] = "account-1"
        print(
            f"No --key given: generated a key for account 'account-1'. Use it as:\n  export {ENV_API_KEY}={key}\n  curl -H 'X-Dexatel-Key: {key}' http://{args.host}:{args.port}/v1/audiences",
            flush=True,
        )
    if args.latency_ms < 0:
        raise UsageError(f"--latency-ms must be 0 or more, not {args.latency_ms:g}.")
    serve(str(db), args.host, args.port, keys, latency=args.latency_ms / 1000)
    return Exit.CONFORMANT


def command_cleanup(args: argparse.Namespace) -> int:
    from conformance.cleanup import cleanup_leftovers

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
        connection=connection_options(args),
        rate_limit=args.rate_limit,
    )


def command_rules(args: argparse.Namespace) -> int:
    from conformance.rules import RULES

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


def hypothesis_home() -> str:
    """A private folder for Hypothesis' files, so a run leaves nothing in the user's folder."""
    return tempfile.mkdtemp(prefix="audience-conformance-hypothesis-")
