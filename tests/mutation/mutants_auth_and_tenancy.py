"""Mutants of authentication and tenancy (AUTH-01, TEN-01, TEN-02): a key checked too late or too
loosely, another account's audiences seen or counted. Each breaks one rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord
from conformance.reference.store import NameTaken, Store
from mutation.catalogue import mutant
from mutation.toolkit.answers import KEY_HEADER, Answer, Exchange, Rewrite, envelope
from mutation.toolkit.stores import StoreProxy, over

WELL_FORMED_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# -- AUTH-01 ---------------------------------------------------------------------------------


@mutant("AUTH-01", "a body that is not JSON answers 400 before the key is checked")
def json_checked_before_auth(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def parse_first(exchange: Exchange) -> Answer | None:
        if exchange.method in ("POST", "PUT") and exchange.body.strip() and exchange.json() is None:
            return envelope(exchange, 400, 1000, "The body is not valid JSON.")
        return None

    return Rewrite(create_app(store, keys), on_request=parse_first)


@mutant("AUTH-01", "an empty key is taken as the first account's")
def empty_key_accepted(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    first = next(iter(keys)).encode()

    def default_key(exchange: Exchange) -> None:
        key = exchange.header(KEY_HEADER)
        if key is not None and not key.strip():
            exchange.set_header(KEY_HEADER, first)

    return Rewrite(create_app(store, keys), on_request=default_key)


@mutant("AUTH-01", "keys are compared on their first 16 characters only")
def key_prefix_compared(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def by_prefix(exchange: Exchange) -> None:
        presented = (exchange.header(KEY_HEADER) or b"").decode("latin-1")
        match = next(
            (key for key in keys if len(presented) >= 16 and key[:16] == presented[:16]), None
        )
        if match is not None:
            exchange.set_header(KEY_HEADER, match.encode())

    return Rewrite(create_app(store, keys), on_request=by_prefix)


@mutant("AUTH-01", "a malformed id answers 400 code 1302 before the key is checked")
def id_checked_before_auth(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def check_id_first(exchange: Exchange) -> Answer | None:
        segments = exchange.segments
        if segments and not WELL_FORMED_ID.fullmatch(segments[0]):
            return envelope(exchange, 400, 1302, "The audience id is malformed.")
        return None

    return Rewrite(create_app(store, keys), on_request=check_id_first)


# -- TEN-01, TEN-02 --------------------------------------------------------------------------


@mutant("TEN-01", "another account's audience answers 403, revealing that it exists")
def forbidden_instead_of_not_found(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    accounts = sorted(set(keys.values()))

    def forbid(exchange: Exchange, answer: Answer) -> None:
        segments = exchange.segments
        if (
            answer.status == 404
            and segments
            and WELL_FORMED_ID.fullmatch(segments[0])
            and any(store.get_audience(account, segments[0]) for account in accounts)
        ):
            answer.status = 403
            answer.recode(1301, 1010)

    return Rewrite(create_app(store, keys), on_answer=forbid)


class EveryAccountListed(StoreProxy):
    """The query operation forgets the account: every account's audiences are listed and counted."""

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        rows = [
            row
            for account in self.accounts
            for row in self.store.list_audiences(account, channel, after_seq, limit)
        ]
        return sorted(rows, key=lambda row: row.seq)[:limit]

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return sum(self.store.count_audiences(account, channel) for account in self.accounts)


@mutant("TEN-01", "the query operation lists and counts every account's audiences")
def every_account_listed(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(EveryAccountListed, store, keys)


class AnyAccountGets(StoreProxy):
    """Get, and so the contacts query, finds an audience whatever account owns it."""

    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        return next(
            (
                found
                for account in [account_id, *self.accounts]
                if (found := self.store.get_audience(account, audience_id))
            ),
            None,
        )


@mutant("TEN-01", "get finds an audience of any account")
def any_account_gets(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(AnyAccountGets, store, keys)


class NamesUniqueEverywhere(StoreProxy):
    """A name taken in any account is taken for all."""

    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: Any
    ) -> AudienceRecord:
        for account in self.accounts:
            if any(
                row.name == name for row in self.store.list_audiences(account, None, 0, 1_000_000)
            ):
                raise NameTaken(name)
        return self.store.create_audience(account_id, name, channel, contacts)


@mutant("TEN-02", "names are unique across all accounts, not per account")
def names_unique_everywhere(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(NamesUniqueEverywhere, store, keys)
