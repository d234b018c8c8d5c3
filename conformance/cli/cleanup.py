"""``audience-conformance cleanup``: remove what interrupted runs left on a target.

Only audiences whose names carry this suite's run prefix are touched, and without
``--run-id`` only those older than ``--older-than`` (from their ``create_date``): a pipeline
that runs the suite against the same account at this very moment keeps its data. Every
deletion is printed (id and name), and ``--dry-run`` prints what would go without sending a
single write. The deletes go through the same request path and write guard as a run's.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from conformance.contract.facts import AUDIENCES_PATH
from conformance.errors import KeyRefusedByTarget, SettingsError, TargetError
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.ledger import PREFIX_FAMILY, RUN_ID_LENGTH, Ledger, iter_prefixed
from conformance.http.rate_limit import RateLimiter
from conformance.http.target import Target
from conformance.http.transport import ConnectionOptions, describe_connection_error
from conformance.http.write_guard import WriteGuard
from conformance.run.options import ENV_API_KEY, ENV_BASE_URL, ENV_SECONDARY_API_KEY
from conformance.run.settings import build_settings
from conformance.verdict.exits import Exit

DEFAULT_OLDER_THAN = "1h"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # DATE-01
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_age(text: str) -> timedelta:
    """'90s', '30m', '1h', '2d' or a number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not match:
        raise SettingsError(
            f"--older-than takes an age such as 30m, 1h or 2d (or seconds), not '{text}'."
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2) or "s"])


def created_at(item: dict[str, object]) -> datetime | None:
    try:
        return datetime.strptime(str(item.get("create_date", "")), DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def cleanup_leftovers(
    *,
    base_url: str | None,
    keys: list[str | None],
    run_id: str | None,
    timeout: str | None,
    older_than: str = DEFAULT_OLDER_THAN,
    dry_run: bool = False,
    connection: ConnectionOptions | None = None,
    rate_limit: str | None = None,
) -> int:
    if not base_url:
        raise SettingsError(f"cleanup needs a target: pass --base-url or set {ENV_BASE_URL}.")
    if run_id is not None and not re.fullmatch(rf"[a-z0-9]{{{RUN_ID_LENGTH}}}", run_id):
        raise SettingsError(
            f"--run-id takes the {RUN_ID_LENGTH} lower-case letters or digits after 'acx' in a name, not '{run_id}'."
        )
    min_age = parse_age(older_than)
    given = [key for key in keys if key]
    if not given:
        raise SettingsError(f"cleanup needs an API key: pass --api-key or set {ENV_API_KEY}.")
    # The target and the keys are resolved already; the environment still gives the connection
    # (a CA bundle, gateway headers, a proxy), as it does for ``run``.
    environ = {
        name: value
        for name, value in os.environ.items()
        if name not in (ENV_BASE_URL, ENV_API_KEY, ENV_SECONDARY_API_KEY)
    }
    settings = build_settings(
        base_url=base_url,
        api_key=given[0],
        secondary_api_key=None,
        profile=None,
        strict=False,
        read_only=False,
        seed=None,
        rules=None,
        timeout=timeout,
        environ=environ,
        connection=connection,
        rate_limit=rate_limit,
    )
    assert settings.base_url is not None
    ledger = Ledger()
    guard = WriteGuard(
        ledger,
        base_path=urlsplit(settings.base_url).path,
        run_prefix=f"{PREFIX_FAMILY}{run_id or ''}",
    )
    policy = RequestPolicy(
        origin=Origin.of(settings.base_url),
        timeout=settings.timeout,
        write_guard=guard.check,
        transport=settings.transport,
        rate_limiter=RateLimiter(settings.rate_limit) if settings.rate_limit else None,
    )
    now = datetime.now(UTC)
    failures, refused = 0, False
    for index, key in enumerate(given, start=1):
        target = Target(settings.base_url, key, policy)
        try:
            failures += _clean_account(
                target,
                f"account {index}",
                ledger,
                run_id=run_id,
                cutoff=None if run_id else now - min_age,
                dry_run=dry_run,
            )
        except KeyRefusedByTarget:
            refused = True
        finally:
            target.close()
    # As for run: a target that refuses the key is exit 3; a deletion that failed is exit 1.
    return (
        Exit.UNREACHABLE if refused else Exit.CONFORMANT if failures == 0 else Exit.NOT_CONFORMANT
    )


def _clean_account(
    target: Target,
    label: str,
    ledger: Ledger,
    *,
    run_id: str | None,
    cutoff: datetime | None,
    dry_run: bool,
) -> int:
    """Delete (or list, with ``dry_run``) one account's leftovers; returns the number of problems."""
    prefix = f"{PREFIX_FAMILY}{run_id}_" if run_id else PREFIX_FAMILY
    try:
        found = [
            item for item in iter_prefixed(target) if str(item.get("name", "")).startswith(prefix)
        ]
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        hint = " (the key was refused)" if status == 401 else ""
        print(f"{label}: could not list audiences: HTTP {status}{hint}; nothing deleted")
        if status == 401:
            raise KeyRefusedByTarget from None
        return 1
    except (requests.RequestException, TargetError, ValueError, AttributeError) as error:
        print(f"{label}: could not list audiences ({_reason(error)}); nothing deleted")
        return 1
    doomed, spared = [], 0
    for item in found:
        when = created_at(item)
        if cutoff is not None and (when is None or when > cutoff):
            spared += 1
            continue
        doomed.append(item)
    if spared:
        print(
            f"{label}: kept {spared} prefixed audience(s) younger than --older-than (or without a readable create_date): a run may still be using them"
        )
    problems = 0
    for item in doomed:
        audience_id, name = str(item["id"]), str(item.get("name", ""))
        if dry_run:
            print(
                f"{label}: would delete {audience_id} {name!r} (created {item.get('create_date')})"
            )
            continue
        ledger.adopt(target.api_key, audience_id)
        try:
            response = target.delete(f"{AUDIENCES_PATH}/{audience_id}")
        except (requests.RequestException, TargetError) as error:
            print(f"{label}: could not delete {audience_id} {name!r}: {_reason(error)}")
            problems += 1
            continue
        if response.status_code in (204, 404):
            print(f"{label}: deleted {audience_id} {name!r}")
        else:
            print(f"{label}: could not delete {audience_id} {name!r}: HTTP {response.status_code}")
            problems += 1
    verb = "would delete" if dry_run else "deleted"
    print(
        f"{label}: {verb} {len(doomed) - (0 if dry_run else problems)} leftover audience(s)"
        + (f"; {problems} could not be deleted" if problems else "")
    )
    return problems


def _reason(error: BaseException) -> str:
    return (
        describe_connection_error(error)
        if isinstance(error, requests.RequestException)
        else str(error) or "the request path refused it"
    )
