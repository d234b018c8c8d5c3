"""One conformance run: its targets, its ledger, its secrets, and its end.

A :class:`RunContext` is made once per run, lazily, when the suite's first test module is
imported (schemathesis builds its tests at collection time and needs the target then).
It starts the embedded reference server when no target was given, checks that the target
answers at all, and on close deletes what the run created.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests

from conformance.evidence import Witness
from conformance.exits import RunEnd
from conformance.ledger import CleanupReport, Ledger, Namer, new_run_id
from conformance.ratelimit import RateLimiter
from conformance.redaction import Redactor
from conformance.settings import RunSettings
from conformance.stopping import RunStop
from conformance.target import Target
from conformance.facts import AUDIENCES_PATH
from conformance.adapter import Origin, RequestPolicy
from conformance.errors import ClearTextProxyRefused, RunDeadlineExceeded, TargetError
from conformance.transport import describe_connection_error, describe_connection_failure
from conformance.write_guard import WriteGuard

if TYPE_CHECKING:
    from conformance.workers import SharedRun

PRIMARY_ACCOUNT = "reference-account-1"
SECONDARY_ACCOUNT = "reference-account-2"
NOT_FOUND_CODE = 1301  # the contract's code for a well-formed id that does not exist (section 6)


class PreflightFailure(Exception):
    """Before any test: the target cannot be certified as given. ``end`` says how the run ends
    (and so its exit code); the message says, in one line, what to change."""

    end = RunEnd.UNREACHABLE


class TargetUnreachable(PreflightFailure):
    """The target does not answer at all (refused, timed out, not HTTP); nothing can be certified."""

    end = RunEnd.UNREACHABLE


class KeyRefused(PreflightFailure):
    """The target answered 401 to a key the user gave; the run would only measure that."""

    end = RunEnd.KEY_REFUSED


class Misconfigured(PreflightFailure):
    """The user's mistake: a base URL that does not serve the contract, or two keys of one account.
    Running anyway would report it as the server's non-conformance."""

    end = RunEnd.MISCONFIGURED


class RunContext:
    """Everything the suite's tests share during one run."""

    def __init__(
        self, settings: RunSettings, stop: RunStop | None = None, shared: SharedRun | None = None
    ) -> None:
        self.settings = settings
        self.stop = stop
        self.shared = shared  # in a worker process: the run its controller made (id, target, keys)
        self.run_id = shared.run_id if shared is not None else new_run_id()
        self.seed = (
            settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
        )
        self.started_at = time.time()
        self.redactor = Redactor(
            [settings.api_key, settings.secondary_api_key, *settings.transport.secrets()],
            secret_headers=[name for name, _ in settings.transport.headers],
        )
        self.ledger = Ledger()
        self.witness = Witness(self.ledger.owns)
        self.namer = Namer(self.run_id)
        self._resources = ExitStack()
        self.before_cleanup: list[
            Callable[[], None]
        ] = []  # e.g. stop the workers, merge their ledgers
        base_url, api_key, secondary_key = self._resolve_target()
        self.base_url = base_url
        max_duration = settings.max_duration or settings.profile.max_duration
        self.guard = WriteGuard(
            self.ledger, base_path=urlsplit(base_url).path, run_prefix=self.namer.prefix
        )
        self.policy = RequestPolicy(
            origin=Origin.of(base_url),
            timeout=settings.timeout,
            read_only=settings.read_only,
            deadline=time.monotonic() + max_duration,
            observers=[self.ledger.observe, self.witness.observe],
            write_guard=self.guard.check,
            on_deadline=stop.budget_spent if stop is not None else None,
            transport=settings.transport,
            rate_limiter=RateLimiter(settings.rate_limit) if settings.rate_limit else None,
            on_rate_limited=stop.rate_limited if stop is not None else None,
        )
        if stop is not None:
            stop.cleanup_command = self.cleanup_command()
            stop.arm_budget(max_duration)
        self.primary = Target(base_url, api_key, self.policy)
        self.secondary = Target(base_url, secondary_key, self.policy) if secondary_key else None
        self.witness.watch(self.targets)
        self._closed = False

    def _resolve_target(self) -> tuple[str, str, str | None]:
        settings = self.settings
        if self.shared is not None:
            self.redactor.add(self.shared.api_key)
            if self.shared.secondary_api_key:
                self.redactor.add(self.shared.secondary_api_key)
            return self.shared.base_url, self.shared.api_key, self.shared.secondary_api_key
        if not settings.embedded:
            assert settings.base_url is not None and settings.api_key is not None
            return settings.base_url, settings.api_key, settings.secondary_api_key
        # The embedded default: the reference server on a free loopback port, a throw-away
        # database, and two generated keys of two accounts.
        from conformance.reference.keys import generate_key
        from conformance.reference.server import ReferenceServer

        folder = Path(
            self._resources.enter_context(tempfile.TemporaryDirectory(prefix="audience-reference-"))
        )
        key, secondary_key = generate_key(), generate_key()
        self.redactor.add(key)
        self.redactor.add(secondary_key)
        server = ReferenceServer(
            db=str(folder / "reference.sqlite3"),
            keys={key: PRIMARY_ACCOUNT, secondary_key: SECONDARY_ACCOUNT},
        )
        self._resources.enter_context(server)
        return server.base_url, key, secondary_key

    @property
    def targets(self) -> list[Target]:
        return [target for target in (self.primary, self.secondary) if target is not None]

    def preflight(self) -> None:
        """Fail fast, with one line saying what to change, when the target cannot be tested as
        given: it does not answer, refuses a key, does not serve ``<base>/v1/audiences``, or the
        two keys belong to one account."""
        if self.shared is not None:
            return  # the controller checked the target once, before any worker started
        listed = self._probe(self.primary, "api_key")
        if self.secondary is None:
            return
        other_listed = self._probe(self.secondary, "secondary_api_key")
        if (
            not self.settings.embedded
        ):  # the embedded server's two keys are of two accounts by construction
            self._check_two_accounts(listed, other_listed)

    def _probe(self, target: Target, key_name: str) -> list[Any]:
        """The first page of the account's audiences, or a PreflightFailure saying why not."""
        base = self.base_url
        try:
            response = target.get(AUDIENCES_PATH, params={"page_size": 1})
        except ClearTextProxyRefused as error:
            raise TargetUnreachable(str(error)) from None
        except requests.Timeout:
            raise TargetUnreachable(
                f"{base} did not answer within {self.settings.timeout:g} s."
            ) from None
        except requests.ConnectionError as error:
            reason = describe_connection_failure(
                error, self.settings.transport, https=self.policy.origin.scheme == "https"
            )
            raise TargetUnreachable(f"{base} cannot be reached: {reason}") from None
        except RunDeadlineExceeded:
            raise
        except (requests.RequestException, TargetError) as error:
            reason = (
                str(error).rstrip(".")
                if isinstance(error, TargetError)
                else describe_connection_error(error)
            )
            raise TargetUnreachable(
                f"{base} did not answer as an HTTP server ({reason})."
            ) from None
        which = "secondary API key" if key_name == "secondary_api_key" else "API key"
        if response.status_code == 401:
            raise KeyRefused(
                f"{base} refused the {which} (HTTP 401); check {self.settings.source(key_name)}."
            )
        if response.status_code in (404, 405) and not _serves_the_api(
            target, self.guard.mint_absent()
        ):
            raise Misconfigured(
                f"{base}{AUDIENCES_PATH} answers HTTP {response.status_code}: the Audience API is not served under {base}; "
                f"give {self.settings.option('base_url')} the URL that /v1/audiences follows."
            )
        return _items_of(response)

    def _check_two_accounts(self, listed: list[Any], other_listed: list[Any]) -> None:
        """The tenant-isolation rules need two accounts; two keys of one would fail them for the
        user's mistake. The keys are called one account only when the server says so twice: one
        account_id for both keys, AND an audience the first key sees is seen by the second. A
        server that answers one constant account_id for every key is the server's fault (CRUD-01),
        not the user's: its keys see apart, so the run goes on and the tests judge it."""
        assert self.secondary is not None
        try:
            primary_seen = listed or self._created_by(self.primary)
            secondary_seen = other_listed
            primary, secondary = _account_in(primary_seen), _account_in(secondary_seen)
            if secondary is None or secondary == primary:
                # A listing can show another account's audiences (a TEN-01 failure, for the tests to
                # find): what the key creates is the server's own word on whose key it is.
                secondary_seen = self._created_by(self.secondary) or secondary_seen
                secondary = _account_in(secondary_seen) or secondary
            if (
                primary is not None
                and primary == secondary
                and self._sees(self.secondary, primary_seen)
            ):
                raise Misconfigured(
                    f"the API key and the secondary API key belong to one account ('{primary}'); "
                    f"{self.settings.source('secondary_api_key')} must be a key of another account."
                )
        finally:
            self.ledger.clean(self.targets, CleanupReport())

    def _created_by(self, target: Target) -> list[Any]:
        """Create one audience (recorded in the ledger, so it is deleted however the preflight
        ends) and return the answer's audience; nothing in a read-only run, or when the server
        refuses. Only asked when the listings cannot tell the accounts apart (empty accounts)."""
        if self.settings.read_only:
            return []
        response = target.post(
            AUDIENCES_PATH, json={"data": {"name": self.namer.fresh(), "channel": "SMS"}}
        )
        return _items_of(response) if response.status_code == 201 else []

    def _sees(self, target: Target, items: list[Any]) -> bool:
        """Whether ``target``'s key reads one of ``items`` by its id (a read, whatever the mode)."""
        for item in items:
            identifier = item.get("id") if isinstance(item, dict) else None
            if not (isinstance(identifier, str) and identifier):
                continue
            try:
                if target.get(f"{AUDIENCES_PATH}/{quote(identifier, safe='')}").status_code == 200:
                    return True
            except requests.RequestException:
                return False  # the tests will meet the same server, and judge it
        return False

    def cleanup_command(self) -> str:
        """What finishes this run's cleanup when the run could not (it is printed, never run)."""
        if self.settings.embedded:
            return (
                "The embedded reference's database was a temporary one: nothing is left to clean."
            )
        return f"To delete what this run created, run: audience-conformance cleanup --base-url {self.base_url} --run-id {self.run_id}"

    def close(self) -> CleanupReport:
        """Delete what the run created, then sweep the accounts for anything else carrying the
        run's prefix, then stop what the run started. Safe to call twice."""
        report = CleanupReport()
        if self._closed:
            return report
        self._closed = True
        # Cleanup is a run's own duty: it is not cut short by the deadline. A read-only run
        # sent no write, so it has nothing to delete and sends none now either.
        self.policy.deadline = None
        try:
            for step in self.before_cleanup:
                step()
            if self.guard.writes_let_through:
                self.ledger.clean(self.targets, report)
                self.ledger.sweep_own(self.targets, self.namer.prefix, report)
            return report
        finally:
            for target in self.targets:
                target.close()
            self._resources.close()


_active: RunContext | None = None


def activate(
    settings: RunSettings, stop: RunStop | None = None, shared: SharedRun | None = None
) -> RunContext:
    """The run of this process, made on first use."""
    global _active
    if _active is None:
        _active = RunContext(settings, stop, shared)
    return _active


def active() -> RunContext | None:
    return _active


def current() -> RunContext:
    """The active run, for suite modules that build names and strategies at import time."""
    if _active is None:
        raise RuntimeError(
            "No conformance run is active: the suite's conftest starts one before any test module is imported."
        )
    return _active


def deactivate() -> CleanupReport | None:
    global _active
    if _active is None:
        return None
    context, _active = _active, None
    return context.close()


def _serves_the_api(target: Target, absent_id: str) -> bool:
    """Whether a list refused with a key is still the Audience API's: the path asks for the key
    (401 without one) and another of the contract's routes answers as the contract says (a get
    of an id nobody holds: 404 code 1301). Then the base URL is right and the refused list is
    the server's fault, for the tests to judge. A server that authenticates every path but
    routes none of the contract's under this base is the user's mistake."""
    try:
        anonymous = target.get(AUDIENCES_PATH, params={"page_size": 1}, key=None)
        if anonymous.status_code != 401:
            return False
        unknown = target.get(f"{AUDIENCES_PATH}/{quote(absent_id, safe='')}")
    except RunDeadlineExceeded:
        raise
    except (requests.RequestException, TargetError):
        return False
    return unknown.status_code == 404 and NOT_FOUND_CODE in _error_codes(unknown)


def _error_codes(response: requests.Response) -> list[int]:
    """The integer codes of a body in the contract's error envelope; none for another body."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return (
        [
            item["code"]
            for item in errors
            if isinstance(item, dict) and type(item.get("code")) is int
        ]
        if isinstance(errors, list)
        else []
    )


def _items_of(response: requests.Response) -> list[Any]:
    """The audiences in a list page or a create answer; nothing when the body says otherwise
    (the tests judge the body, the preflight only looks for accounts)."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return []
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        return [data]
    return data if isinstance(data, list) else []


def _account_in(items: list[Any]) -> str | None:
    accounts = {
        str(item["account_id"])
        for item in items
        if isinstance(item, dict) and item.get("account_id") not in (None, "")
    }
    return accounts.pop() if len(accounts) == 1 else None
