"""Mutants that only racing requests reveal: each answers every request sent alone as the
reference does. One lets racing requests take one name twice (VAL-1309); the others refuse
every racer, so that a free name is taken by none (a valid rename or create refused).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord
from conformance.reference.store import NameTaken, Store
from mutation.catalogue import mutant
from mutation.toolkit.answers import Exchange, account_of, envelope, replaying, whole_body
from mutation.toolkit.stores import StoreProxy

RACE_WINDOW = (
    0.1  # seconds between reading the account's names and writing: another request's await
)
HIDDEN = "."  # never in a valid name: what follows it keeps stored names apart
NAMES_SEEN: ContextVar[dict[str, str] | None] = ContextVar("names_seen", default=None)


class NamesCheckedEarly(StoreProxy):
    """Names unique only as far as the names read when the request arrived tell.

    The store's UNIQUE constraint would stop the second insert, so each name is stored with a
    hidden suffix that keeps rows apart, and shown without it: the account then really holds
    two audiences of one name, as a store without the constraint would.
    """

    def names_of(self, account_id: str) -> dict[str, str]:
        """name -> id of every audience of the account, as shown."""
        names: dict[str, str] = {}
        after = 0
        while page := self.store.list_audiences(account_id, None, after, 500):
            names.update((_shown(row.name), row.id) for row in page)
            after = page[-1].seq
        return names

    def _seen(self, account_id: str) -> dict[str, str]:
        seen = NAMES_SEEN.get()
        return seen if seen is not None else self.names_of(account_id)

    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: Any
    ) -> AudienceRecord:
        if name in self._seen(account_id):
            raise NameTaken(name)
        return _show(self.store.create_audience(account_id, _hide(name), channel, contacts))

    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        if self.store.get_audience(account_id, audience_id) is None:
            return None
        if self._seen(account_id).get(name, audience_id) != audience_id:
            raise NameTaken(name)
        renamed = self.store.rename_audience(account_id, audience_id, _hide(name))
        return _show(renamed) if renamed else None

    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        found = self.store.get_audience(account_id, audience_id)
        return _show(found) if found else None

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        return [
            _show(row) for row in self.store.list_audiences(account_id, channel, after_seq, limit)
        ]


def _hide(name: str) -> str:
    return f"{name}{HIDDEN}{secrets.token_hex(4)}"


def _shown(stored: str) -> str:
    return stored.split(HIDDEN, 1)[0]


def _show(record: AudienceRecord) -> AudienceRecord:
    return record._replace(name=_shown(record.name))


class ReadThenAwait:
    """An async server's create and rename: read the account's names, await (another query, a
    lock taken too late), then write on what was read."""

    def __init__(self, app: ASGIApp, names: NamesCheckedEarly, keys: Mapping[str, str]) -> None:
        self.app = app
        self.names = names
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        account = (
            account_of(Exchange(dict(scope), b""), self.keys)
            if scope["type"] == "http" and scope["method"] in ("POST", "PUT")
            else None
        )
        if account is None or not str(scope["path"]).startswith("/v1/audiences"):
            await self.app(scope, receive, send)
            return
        seen = NAMES_SEEN.set(self.names.names_of(account))
        try:
            await asyncio.sleep(RACE_WINDOW)  # other requests run here, on names this one has read
            await self.app(scope, receive, send)
        finally:
            NAMES_SEEN.reset(seen)


@mutant(
    "VAL-1309",
    "a name is checked when the request arrives and written after an await: racing creates or renames both take it",
)
def names_checked_before_an_await(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    names = NamesCheckedEarly(store, keys)
    return ReadThenAwait(create_app(cast(Store, names), keys), names, keys)


class Crowd:
    """The requests for one name of one account now in the server, and whether they ever met."""

    def __init__(self) -> None:
        self.present = 0
        self.met = False


class RefuseTheCrowd:
    """A name lock that refuses instead of waiting: a create (POST) or rename (PUT) whose name
    another request of the account is taking at the same moment answers 409 code 1309, and so
    does that other request. Sent alone, every request is answered as the reference does."""

    def __init__(self, app: ASGIApp, keys: Mapping[str, str], method: str) -> None:
        self.app = app
        self.keys = keys
        self.method = method
        self.crowds: dict[tuple[str, str], Crowd] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != self.method
            or not str(scope["path"]).startswith("/v1/audiences")
        ):
            await self.app(scope, receive, send)
            return
        exchange = Exchange(dict(scope), await whole_body(receive))
        account, name = account_of(exchange, self.keys), exchange.data().get("name")
        if account is not None and isinstance(name, str) and await self._met_another(account, name):
            await envelope(
                exchange, 409, 1309, f"'{name}' is being taken by another request."
            ).send(send)
            return
        await self.app(scope, replaying(exchange.body, receive), send)

    async def _met_another(self, account: str, name: str) -> bool:
        """Wait a moment with the name held; whether another request for it came meanwhile (or was there)."""
        crowd = self.crowds.setdefault((account, name), Crowd())
        crowd.present += 1
        crowd.met = crowd.met or crowd.present > 1
        try:
            await asyncio.sleep(RACE_WINDOW)
            return crowd.met
        finally:
            crowd.present -= 1
            if not crowd.present:
                del self.crowds[(account, name)]


@mutant(
    "CRUD-03",
    "renames to one name that arrive together are all refused with 409 code 1309, though the name is free",
)
def racing_renames_all_refused(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return RefuseTheCrowd(create_app(store, keys), keys, "PUT")


@mutant(
    "CRUD-01",
    "creates of one name that arrive together are all refused with 409 code 1309, though the name is free",
)
def racing_creates_all_refused(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return RefuseTheCrowd(create_app(store, keys), keys, "POST")
