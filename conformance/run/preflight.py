"""The preflight: before any test, whether the target can be tested as given at all.

It fails fast, with one line saying what to change, when the target does not answer, refuses
a key, does not serve ``<base>/v1/audiences``, or the two keys belong to one account: running
anyway would report the user's mistake as the server's non-conformance.
"""

from __future__ import annotations

import json
import statistics
from typing import Any, Protocol
from urllib.parse import quote

import requests

from conformance.contract.facts import AUDIENCES_PATH
from conformance.errors import ClearTextProxyRefused, RunDeadlineExceeded, TargetError
from conformance.http.adapter import RequestPolicy
from conformance.http.ledger import CleanupReport, Ledger, Namer
from conformance.http.target import Target
from conformance.http.transport import describe_connection_error, describe_connection_failure
from conformance.http.write_guard import WriteGuard
from conformance.run.settings import RunSettings
from conformance.verdict.exits import RunEnd

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


class RunUnderTest(Protocol):
    """What the preflight reads of the run (:class:`conformance.run.session.RunContext`)."""

    settings: RunSettings
    base_url: str
    primary: Target
    secondary: Target | None
    policy: RequestPolicy
    guard: WriteGuard
    ledger: Ledger
    namer: Namer

    @property
    def targets(self) -> list[Target]: ...


def check(run: RunUnderTest) -> float | None:
    """Fail fast, with one line saying what to change, when the target cannot be tested as
    given (:class:`PreflightFailure`); else the median round trip of the preflight's exchanges
    in seconds (``--workers auto`` sizes the run by it), None when none was timed."""
    Preflight(run).check()
    return median_round_trip(run.targets)


def median_round_trip(targets: list[Target]) -> float | None:
    """The median of the exchanges the targets' adapters timed (each key's first one opens
    its connection, so the median of several leans to the network's own round trip)."""
    timed = [seconds for target in targets for seconds in target.adapter.round_trips]
    return statistics.median(timed) if timed else None


class Preflight:
    """The preflight of one run: probe each key, then tell the two keys' accounts apart."""

    def __init__(self, run: RunUnderTest) -> None:
        self.run = run

    def check(self) -> None:
        """Raise :class:`PreflightFailure` when the target cannot be tested as given."""
        listed = self._probe(self.run.primary, "api_key")
        if self.run.secondary is None:
            return
        other_listed = self._probe(self.run.secondary, "secondary_api_key")
        if (
            not self.run.settings.embedded
        ):  # the embedded server's two keys are of two accounts by construction
            self._check_two_accounts(listed, other_listed)

    def _probe(self, target: Target, key_name: str) -> list[Any]:
        """The first page of the account's audiences, or a PreflightFailure saying why not."""
        base = self.run.base_url
        try:
            response = target.get(AUDIENCES_PATH, params={"page_size": 1})
        except ClearTextProxyRefused as error:
            raise TargetUnreachable(str(error)) from None
        except requests.Timeout:
            raise TargetUnreachable(
                f"{base} did not answer within {self.run.settings.timeout:g} s."
            ) from None
        except requests.ConnectionError as error:
            reason = describe_connection_failure(
                error, self.run.settings.transport, https=self.run.policy.origin.scheme == "https"
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
                f"{base} refused the {which} (HTTP 401); check {self.run.settings.source(key_name)}."
            )
        if response.status_code in (404, 405) and not _serves_the_api(
            target, self.run.guard.mint_absent()
        ):
            raise Misconfigured(
                f"{base}{AUDIENCES_PATH} answers HTTP {response.status_code}: the Audience API is not served under {base}; "
                f"give {self.run.settings.option('base_url')} the URL that /v1/audiences follows."
            )
        return _items_of(response)

    def _check_two_accounts(self, listed: list[Any], other_listed: list[Any]) -> None:
        """The tenant-isolation rules need two accounts; two keys of one would fail them for the
        user's mistake. The keys are called one account only when the server says so twice: one
        account_id for both keys, AND an audience the first key sees is seen by the second. A
        server that answers one constant account_id for every key is the server's fault (CRUD-01),
        not the user's: its keys see apart, so the run goes on and the tests judge it."""
        assert self.run.secondary is not None
        try:
            primary_seen = listed or self._created_by(self.run.primary)
            secondary_seen = other_listed
            primary, secondary = _account_in(primary_seen), _account_in(secondary_seen)
            if secondary is None or secondary == primary:
                # A listing can show another account's audiences (a TEN-01 failure, for the tests to
                # find): what the key creates is the server's own word on whose key it is.
                secondary_seen = self._created_by(self.run.secondary) or secondary_seen
                secondary = _account_in(secondary_seen) or secondary
            if (
                primary is not None
                and primary == secondary
                and self._sees(self.run.secondary, primary_seen)
            ):
                raise Misconfigured(
                    f"the API key and the secondary API key belong to one account ('{primary}'); "
                    f"{self.run.settings.source('secondary_api_key')} must be a key of another account."
                )
        finally:
            self.run.ledger.clean(self.run.targets, CleanupReport())

    def _created_by(self, target: Target) -> list[Any]:
        """Create one audience (recorded in the ledger, so it is deleted however the preflight
        ends) and return the answer's audience; nothing in a read-only run, or when the server
        refuses. Only asked when the listings cannot tell the accounts apart (empty accounts)."""
        if self.run.settings.read_only:
            return []
        response = target.post(
            AUDIENCES_PATH, json={"data": {"name": self.run.namer.fresh(), "channel": "SMS"}}
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
