"""The reference's store, misbehaving in one method: the faults a server's data layer makes.

Two ways, for two kinds of fault: a :class:`StoreProxy` wraps the store and overrides what it
changes (it may call the real store around its own logic); a ``Store`` subclass, put on the same
store by :func:`behaving_as`, changes one method and calls ``super()`` for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.cursors import CursorCodec
from conformance.reference.pagination import Paginator
from conformance.reference.records import AudienceRecord
from conformance.reference.store import Store

EVERYTHING = 1_000_000  # a limit no list of a run reaches: the whole collection


class StoreProxy:
    """The reference's store, forwarding every method a subclass does not override."""

    def __init__(self, store: Store, keys: Mapping[str, str]) -> None:
        self.store = store
        self.accounts = sorted(set(keys.values()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


StoreT = TypeVar("StoreT", bound=Store)


def behaving_as(store: Store, kind: type[StoreT]) -> StoreT:
    """The same store (connection, lock, page-token secret) as an instance of ``kind``: a
    ``Store`` subclass that misbehaves in one method."""
    faulty = object.__new__(kind)
    faulty.__dict__ = store.__dict__
    return faulty


def over(kind: type[StoreProxy | Store], store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """The reference over ``store`` made to behave as ``kind``: a proxy around it, or a
    ``Store`` subclass sharing its state."""
    faulty = behaving_as(store, kind) if issubclass(kind, Store) else cast(Store, kind(store, keys))
    app: ASGIApp = create_app(faulty, keys)
    return app


def audiences_where(
    store: Store,
    account_id: str,
    keep: Callable[[AudienceRecord], bool],
    after_seq: int,
    limit: int,
) -> list[AudienceRecord]:
    """The account's audiences after ``after_seq`` that ``keep`` accepts, oldest first, as the store lists them."""
    return [
        row
        for row in Store.list_audiences(store, account_id, None, after_seq, EVERYTHING)
        if keep(row)
    ][:limit]


def with_paginator(
    store: Store, keys: Mapping[str, str], paginator_class: type[Paginator]
) -> ASGIApp:
    """The reference with another paginator in place of its own."""
    app: ASGIApp = create_app(
        store, keys, paginator=paginator_class(CursorCodec(store.cursor_secret))
    )
    return app
