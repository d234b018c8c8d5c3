"""Mutants of what a list query may ask (PAGE-10 to PAGE-12, and their neighbours ROB-01 and
TEN-01): page sizes, page tokens and positions read wrongly. Those in ``SHOULD_ONLY`` break
only the SHOULD part of their rule."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.pagination import Page, PageQuery, PageSource, Paginator, Position
from conformance.reference.store import Store
from mutation import catalogue
from mutation.catalogue import mutant, should_only
from mutation.toolkit.pages import (
    Params,
    audience_list,
    page_size_clamped_to_100,
    params_of,
    refuse_when,
    retry_list,
    rewrite_query,
    rewrite_response,
    without_param,
)
from mutation.toolkit.stores import with_paginator

SHOULD_ONLY = catalogue.SHOULD_ONLY  # the mutants only a strict run fails (read by the proofs)


# -- PAGE-10 and its MUST neighbour ROB-01 ---------------------------------------------------------


def valid_page_size(value: str) -> bool:
    return value.isascii() and value.isdigit() and 1 <= int(value) <= 100


@should_only
@mutant("PAGE-10", "a page_size over 100 is clamped to 100 instead of refused")
def page_size_over_100_is_clamped(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_query(create_app(store, keys), page_size_clamped_to_100)


@should_only
@mutant("PAGE-10", "an invalid page_size is ignored: the default page answers")
def invalid_page_size_means_the_default(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_query(
        create_app(store, keys),
        lambda params: [
            (name, value) for name, value in params if name != "page_size" or valid_page_size(value)
        ],
    )


@mutant("ROB-01", "a page_size of ten digits or more fails the server")
def huge_page_size_fails_the_server(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return refuse_when(
        create_app(store, keys),
        lambda params: len(dict(params).get("page_size", "")) >= 10,
        500,
        1009,
    )


# -- PAGE-11 and TEN-01 ----------------------------------------------------------------------------


@mutant("PAGE-11", "a page_token the server cannot read fails the server")
def broken_token_fails_the_server(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, status: int, body: bytes) -> tuple[int, bytes]:
        return (500, body) if status == 400 and "page_token" in dict(params) else (status, body)

    return rewrite_response(create_app(store, keys), change)


@should_only
@mutant("PAGE-11", "a page_token the server cannot read gives the first page")
def broken_token_means_the_first_page(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return retry_list(
        create_app(store, keys),
        lambda params: "page_token" in dict(params),
        lambda scope: scope,
        lambda scope, answer: without_param(scope, "page_token") if answer.status == 400 else None,
    )


def account_in(token: str | None) -> str | None:
    """The account a reference page token names (its payload is readable base64 JSON)."""
    try:
        payload = (token or "").split(".")[0]
        account = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["a"]
    except (ValueError, KeyError, TypeError):
        return None
    return account if isinstance(account, str) else None


@mutant("TEN-01", "a page token is served for the account it was issued to, whoever sends it")
def token_carries_its_account(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    app = create_app(store, keys)
    key_of = {account: key for key, account in keys.items()}

    async def swapped(scope: Scope, receive: Receive, send: Send) -> None:
        account = (
            account_in(dict(params_of(scope)).get("page_token")) if audience_list(scope) else None
        )
        if account in key_of:
            headers = [
                (name, value)
                for name, value in scope["headers"]
                if name.lower() != b"x-dexatel-key"
            ]
            scope = {**scope, "headers": [*headers, (b"x-dexatel-key", key_of[account].encode())]}
        await app(scope, receive, send)

    return swapped


# -- PAGE-12 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OffsetSource:
    """Positions count the items before a page, as SQL OFFSET does; writes then shift pages."""

    source: Any

    def rows(self, after_seq: int, limit: int) -> list[Any]:
        rows = list(self.source.rows(0, after_seq + limit))[after_seq:]
        return [row._replace(seq=after_seq + index + 1) for index, row in enumerate(rows)]

    def count(self) -> int:
        return int(self.source.count())

    def seq_before(self, up_to_seq: int, skip: int) -> int | None:
        return up_to_seq - skip if up_to_seq > skip else None


class OffsetPaginator(Paginator):
    def page(
        self, query: PageQuery, position: Position, source: PageSource[Any], base_url: str
    ) -> Page[Any]:
        return super().page(query, position, OffsetSource(source), base_url)


@should_only
@mutant("PAGE-12", "offset pagination: a create or delete during a walk shifts the pages")
def offset_pagination(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, OffsetPaginator)
