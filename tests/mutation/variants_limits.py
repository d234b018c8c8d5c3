"""Legal variants of limits and names: an occasional 429, page sizes clamped, names unique whatever
their case, and the API under a path prefix. Section 9 leaves each open: the suite must pass them."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord, NewContact
from conformance.reference.store import NameTaken, Store
from mutation.catalogue import legal_variant
from mutation.toolkit.answers import error_answer, rewrite_scope
from mutation.toolkit.pages import page_size_clamped_to_100, params_of, with_params
from mutation.toolkit.stores import EVERYTHING, StoreProxy, over

# -- rate limits: an occasional 429 ----------------------------------------------------------

EVERY_NTH = 7
LONGER_WAIT_EVERY = 20  # one 429 in twenty asks for a whole second


@legal_variant("every 7th request answers 429 with Retry-After 0 (or 1, one time in 20)")
def occasional_429(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    app = create_app(store, keys)
    counter = itertools.count(1)

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        number = next(counter) if scope["type"] == "http" else 0
        if not number or number % EVERY_NTH:
            return await app(scope, receive, send)
        wait = b"1" if number % (EVERY_NTH * LONGER_WAIT_EVERY) == 0 else b"0"
        await error_answer(
            scope, 429, 1429, "Too many requests; retry later.", [(b"retry-after", wait)]
        ).send(send)

    return limited


# -- page size: clamped, not refused ---------------------------------------------------------


def clamp_page_size(scope: Scope) -> Scope:
    """A decimal page_size over 100 is read as 100 (section 9 allows it; PAGE-10 is SHOULD)."""
    query = params_of(scope)
    clamped = page_size_clamped_to_100(query)
    return with_params(scope, clamped) if clamped != query else scope


@legal_variant("page sizes over 100 are clamped to 100 instead of refused")
def page_size_clamped(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_scope(create_app(store, keys), clamp_page_size)


# -- names: unique whatever their letter case -------------------------------------------------


class CaseInsensitiveNames(StoreProxy):
    """'Spring' and 'spring' are the same name within an account (VAL-1309 still per account)."""

    lock = threading.Lock()

    def _taken(self, account_id: str, name: str, other_than: str | None = None) -> bool:
        return any(
            row.name.casefold() == name.casefold() and row.id != other_than
            for row in self.store.list_audiences(account_id, None, 0, EVERYTHING)
        )

    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: Sequence[NewContact]
    ) -> AudienceRecord:
        with self.lock:
            if self._taken(account_id, name):
                raise NameTaken(name)
            return self.store.create_audience(account_id, name, channel, contacts)

    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        with self.lock:
            if (
                self._taken(account_id, name, other_than=audience_id)
                and self.store.get_audience(account_id, audience_id) is not None
            ):
                raise NameTaken(name)
            return self.store.rename_audience(account_id, audience_id, name)


@legal_variant("names are unique per account whatever their letter case")
def case_insensitive_names(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(CaseInsensitiveNames, store, keys)


# -- base URL: under a path prefix -----------------------------------------------------------

PREFIX = "/api"


@legal_variant(
    "the API lives under '/api': the base URL carries the prefix, and so do links",
    path_prefix=PREFIX,
)
def under_path_prefix(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    app = create_app(store, keys)

    async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/"):
            return await app(
                {**scope, "root_path": scope.get("root_path", "") + PREFIX}, receive, send
            )
        await error_answer(scope, 404, 1007, "No such route.").send(send)

    return mounted
