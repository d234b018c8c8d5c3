"""``audience-conformance serve``: the reference server for a person at a terminal.

The tenant-isolation rules need two accounts, so a server started without keys gets two, and
says how to certify it: both keys and the ``run`` command, ready to paste. Keys the server
generated for itself are printed (that is what they are for); a key given with ``--key`` is
never printed, the command names its account instead.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping
from pathlib import Path

from conformance.errors import UsageError
from conformance.run.options import ENV_API_KEY, ENV_SECONDARY_API_KEY
from conformance.verdict.exits import PROG, Exit

ACCOUNTS = ("account-1", "account-2")


def command_serve(args: argparse.Namespace) -> int:
    from conformance.reference.keys import generate_key, parse_key_spec
    from conformance.reference.server import listening_socket, serve

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
    if args.latency_ms < 0:
        raise UsageError(f"--latency-ms must be 0 or more, not {args.latency_ms:g}.")
    generated: dict[str, str] = {}
    while len(set(keys.values())) < 2:
        account = next(name for name in _account_names() if name not in keys.values())
        key = generate_key()
        keys[key] = generated[key] = account
    try:
        bound = listening_socket(args.host, args.port)
    except OSError as error:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {error.strerror or error}; choose another --port (0 picks a free one)."
        ) from None
    serve(
        str(db),
        args.host,
        args.port,
        keys,
        latency=args.latency_ms / 1000,
        bound=bound,
        on_ready=lambda base_url: print(how_to_certify(base_url, keys, generated), flush=True),
    )
    return Exit.CONFORMANT


def _account_names() -> list[str]:
    return [*ACCOUNTS, *(f"account-{number}" for number in range(3, 100))]


def how_to_certify(base_url: str, keys: Mapping[str, str], generated: Mapping[str, str]) -> str:
    """Both accounts' keys and the ``run`` command that certifies the server, as lines to paste.

    The first key's account is the one under test, the first key of another account the second
    one; a key given on the command line appears as a placeholder naming its account."""
    primary = next(iter(keys))
    secondary = next(key for key, account in keys.items() if account != keys[primary])

    def shown(key: str) -> str:
        return key if key in generated else f"<the key of {keys[key]}>"

    lines = ["Accounts:"]
    for key, account in keys.items():
        lines.append(
            f"  {account}: key {key} (generated)"
            if key in generated
            else f"  {account}: the key given with --key"
        )
    first, second = shown(primary), shown(secondary)
    variables = f"{ENV_API_KEY}={shlex.quote(first)} {ENV_SECONDARY_API_KEY}={shlex.quote(second)}"
    lines += [
        "Certify it, from another shell:",
        f"  {variables} {PROG} run --base-url {base_url}",
        "Or send a request by hand:",
        f'  curl -H "X-Dexatel-Key: {first}" {base_url}/v1/audiences',
    ]
    return "\n".join(lines)
