"""Faulty servers for the pagination and filter rules: each breaks one rule, in one way.

They are built from the reference's parts: a store subclass that misbehaves in one method,
a paginator subclass, or an ASGI wrapper that rewrites a request or a response. Mutants in
``SHOULD_ONLY`` break only the SHOULD part of their rule, so only a strict run fails them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from conformance.reference.app import create_app
from conformance.reference.cursors import CursorCodec, InvalidToken
from conformance.reference.pagination import Page, PageQuery, PageSource, Paginator, Position
from conformance.reference.records import AudienceRecord, ContactRecord
from conformance.reference.store import Store

from mutation.catalogue import ASGIApp, mutant

Params = list[tuple[str, str]]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
EVERYTHING = 1_000_000
SHOULD_ONLY: set[str] = set()


def should_only(build: Any) -> Any:
    SHOULD_ONLY.add(build.__name__.replace("_", "-"))
    return build


# -- parts: requests and responses rewritten on the way ------------------------------------------


def audience_list(scope: Scope) -> bool:
    return bool(
        scope["type"] == "http"
        and scope["method"] == "GET"
        and scope["path"].rstrip("/") == "/v1/audiences"
    )


def params_of(scope: Scope) -> Params:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def with_params(scope: Scope, params: Params) -> Scope:
    return {**scope, "query_string": urlencode(params).encode()}


def rewrite_query(app: ASGIApp, change: Callable[[Params], Params]) -> ASGIApp:
    """Change the query of each audience-list request before the reference sees it."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        await app(
            with_params(scope, change(params_of(scope))) if audience_list(scope) else scope,
            receive,
            send,
        )

    return rewritten


async def call(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The whole response of ``app`` to one request: status, headers, body."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start["status"], list(start.get("headers", [])), b"".join(chunks)


async def answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*kept, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def rewrite_response(
    app: ASGIApp, change: Callable[[Params, int, bytes], tuple[int, bytes]]
) -> ASGIApp:
    """Change status and body of each audience-list response."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        if not audience_list(scope):
            await app(scope, receive, send)
            return
        status, headers, body = await call(app, scope, receive)
        status, body = change(params_of(scope), status, body)
        await answer(send, status, headers, body)

    return rewritten


def rewrite_pages(app: ASGIApp, change: Callable[[Params, dict[str, Any]], None]) -> ASGIApp:
    """Change each 200 page of the audience list in place (its 'data' and 'pagination')."""

    def on_page(params: Params, status: int, body: bytes) -> tuple[int, bytes]:
        if status != 200:
            return status, body
        page = json.loads(body)
        change(params, page)
        return status, json.dumps(page).encode()

    return rewrite_response(app, on_page)


def refuse_when(app: ASGIApp, wanted: Callable[[Params], bool], status: int, code: int) -> ASGIApp:
    """Answer ``status`` with the envelope instead of the reference, for some audience-list queries."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if not (audience_list(scope) and wanted(params_of(scope))):
            await app(scope, receive, send)
            return
        body = json.dumps({"errors": [{"code": code, "message": "refused"}]}).encode()
        await answer(send, status, [(b"content-type", b"application/json")], body)

    return guarded


def page_size_of(params: Params) -> int:
    value = dict(params).get("page_size") or "20"
    return int(value) if value.isdigit() else 20


def links_of(page: dict[str, Any]) -> dict[str, Any]:
    links: dict[str, Any] = page["pagination"]["links"]
    return links


def without(link: str, name: str) -> str:
    parts = urlsplit(link)
    return urlunsplit(
        parts._replace(
            query=urlencode([(key, value) for key, value in parse_qsl(parts.query) if key != name])
        )
    )


# -- parts: a store that misbehaves in one method, a paginator with another rule -----------------


StoreT = TypeVar("StoreT", bound=Store)


def behaving_as(store: Store, kind: type[StoreT]) -> StoreT:
    """The same store (connection, lock, page-token secret) as an instance of ``kind``: a
    ``Store`` subclass that misbehaves in one method."""
    faulty = object.__new__(kind)
    faulty.__dict__ = store.__dict__
    return faulty


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
    return create_app(store, keys, paginator=paginator_class(CursorCodec(store.cursor_secret)))


# -- PAGE-01 -------------------------------------------------------------------------------------


@mutant("PAGE-01", "pagination.size is the page size asked for, even on a short last page")
def size_claims_the_page_size(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        page["pagination"]["size"] = page_size_of(params)

    return rewrite_pages(create_app(store, keys), change)


@mutant("PAGE-01", "without page_size, pages hold 25 items instead of 20")
def default_page_size_is_25(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_query(
        create_app(store, keys),
        lambda params: params if "page_size" in dict(params) else [*params, ("page_size", "25")],
    )


# -- PAGE-02 -------------------------------------------------------------------------------------


class TotalIgnoresFilter(Store):
    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return super().count_audiences(account_id, None)


class TotalOneTooMany(Store):
    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return super().count_audiences(account_id, channel) + 1


@mutant("PAGE-02", "total counts every audience, whatever the channel filter")
def total_ignores_the_filter(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, TotalIgnoresFilter), keys)


@mutant("PAGE-02", "total is one more than the audiences there are")
def total_one_too_many(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, TotalOneTooMany), keys)


# -- PAGE-03 -------------------------------------------------------------------------------------


@mutant("PAGE-03", "pages are numbered from 0")
def pages_numbered_from_zero(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        page["pagination"]["number"] -= 1

    return rewrite_pages(create_app(store, keys), change)


@mutant("PAGE-03", "every page says it is page 1")
def number_stays_at_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        page["pagination"]["number"] = 1

    return rewrite_pages(create_app(store, keys), change)


@mutant("PAGE-03", "the first page has a previous link (to itself)")
def first_page_has_a_previous(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        if page["pagination"]["number"] == 1:
            links_of(page)["previous"] = links_of(page)["current"]

    return rewrite_pages(create_app(store, keys), change)


def empty_token(params: Params) -> bool:
    return ("page_token", "") in params


@mutant("PAGE-03", "an empty page_token is refused (400) instead of read as the first page")
def empty_page_token_refused(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return refuse_when(create_app(store, keys), empty_token, 400, 1000)


@mutant("PAGE-03", "an empty page_token answers the second page")
def empty_page_token_is_the_second_page(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    app = create_app(store, keys)

    async def second(scope: Scope, receive: Receive, send: Send) -> None:
        if not (audience_list(scope) and empty_token(params_of(scope))):
            await app(scope, receive, send)
            return
        first = with_params(
            scope, [param for param in params_of(scope) if param[0] != "page_token"]
        )
        status, headers, body = await call(app, first, receive)
        link = links_of(json.loads(body))["next"] if status == 200 else None
        if link is not None:
            status, headers, body = await call(
                app, {**first, "query_string": urlsplit(link).query.encode()}, receive
            )
        await answer(send, status, headers, body)

    return second


# -- PAGE-04 -------------------------------------------------------------------------------------


class SkipsOneAtEachBoundary(Store):
    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        rows = super().list_audiences(account_id, channel, after_seq, limit + 1)
        return rows if after_seq == 0 else rows[1:]


class RepeatsTheLastOfThePageBefore(Store):
    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        if after_seq:
            after_seq = super().audience_seq_before(account_id, channel, after_seq, 1) or 0
        return super().list_audiences(account_id, channel, after_seq, limit)


@mutant("PAGE-04", "offset arithmetic off by one: an item is skipped at every page boundary")
def skips_an_item_at_each_boundary(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, SkipsOneAtEachBoundary), keys)


@mutant("PAGE-04", "an item repeated across a page boundary")
def repeats_an_item_across_boundaries(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, RepeatsTheLastOfThePageBefore), keys)


@mutant("PAGE-04", "total grows by one on each page after the first")
def total_drifts_from_page_to_page(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        page["pagination"]["total"] += page["pagination"]["number"] - 1

    return rewrite_pages(create_app(store, keys), change)


# -- PAGE-05 -------------------------------------------------------------------------------------


class FullLastPageSeemsToContinue(Store):
    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        rows = super().list_audiences(account_id, channel, after_seq, limit)
        # 'Is there more?' asked as 'is this page full?': a full last page links to an empty one.
        return rows + rows[-1:] if len(rows) == limit - 1 else rows


class NextPastTheEnd(Paginator):
    def page(
        self, query: PageQuery, position: Position, source: PageSource[Any], base_url: str
    ) -> Page[Any]:
        page = super().page(query, position, source, base_url)
        links = cast(dict[str, Any], page.pagination["links"])
        if page.items and links["next"] is None:
            links["next"] = self._link(
                query, Position(page.items[-1].seq, position.number + 1), links["first"]
            )
        return page


@mutant("PAGE-05", "a last page that is exactly full links to an empty page")
def full_last_page_links_to_an_empty_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, FullLastPageSeemsToContinue), keys)


@mutant("PAGE-05", "every last page links to an empty page after it")
def last_page_links_past_the_end(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, NextPastTheEnd)


@mutant("PAGE-05", "pages hold one item fewer than the page size asked for")
def pages_one_short(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params) -> Params:
        size = page_size_of(params)
        if "page_token" in dict(params) or size < 2:
            return params
        return [(name, value) for name, value in params if name != "page_size"] + [
            ("page_size", str(size - 1))
        ]

    return rewrite_query(create_app(store, keys), change)


def on_an_empty_collection(
    change: Callable[[dict[str, Any]], None],
) -> Callable[[Params, dict[str, Any]], None]:
    """Apply ``change`` to the one page of an empty collection (total 0), and to no other page."""

    def changed(params: Params, page: dict[str, Any]) -> None:
        if page["pagination"]["total"] == 0 and not page["data"]:
            change(page)

    return changed


@mutant("PAGE-05", "an empty collection is answered as page 0")
def empty_collection_is_page_zero(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(page: dict[str, Any]) -> None:
        page["pagination"]["number"] = 0

    return rewrite_pages(create_app(store, keys), on_an_empty_collection(change))


@mutant("PAGE-05", "an empty collection links to a next page (itself)")
def empty_collection_has_a_next(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(page: dict[str, Any]) -> None:
        links_of(page)["next"] = links_of(page)["first"]

    return rewrite_pages(create_app(store, keys), on_an_empty_collection(change))


# -- PAGE-06 -------------------------------------------------------------------------------------


@mutant("PAGE-06", "previous always links to the first page")
def previous_is_always_the_first_page(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        if links_of(page)["previous"] is not None:
            links_of(page)["previous"] = links_of(page)["first"]

    return rewrite_pages(create_app(store, keys), change)


@mutant("PAGE-06", "current links to the first page")
def current_is_the_first_page(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        links_of(page)["current"] = links_of(page)["first"]

    return rewrite_pages(create_app(store, keys), change)


@mutant("PAGE-06", "first is null on pages after the first")
def first_is_null_after_page_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        if page["pagination"]["number"] > 1:
            links_of(page)["first"] = None

    return rewrite_pages(create_app(store, keys), change)


# -- PAGE-07 -------------------------------------------------------------------------------------


@mutant("PAGE-07", "the order within pages depends on the page size (reversed when it is even)")
def order_depends_on_page_size(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        if page_size_of(params) % 2 == 0:
            page["data"].reverse()

    return rewrite_pages(create_app(store, keys), change)


# -- PAGE-08 -------------------------------------------------------------------------------------


class LinksDropAParameter(Paginator):
    """Tokens work whatever query comes with them, and links leave one parameter out."""

    dropped = ""

    def position(self, query: PageQuery, token: str | None) -> Position:
        try:
            cursor = self._codec.decode(token) if token else None
        except InvalidToken:
            cursor = None
        if cursor is not None:
            query = replace(query, page_size=cursor.page_size, filters=cursor.filters)
        return super().position(query, token)

    def _link(self, query: PageQuery, position: Position, query_link: str) -> str:
        return without(super()._link(query, position, query_link), self.dropped)


class LinksDropThePageSize(LinksDropAParameter):
    dropped = "page_size"


class LinksDropTheChannel(LinksDropAParameter):
    dropped = "filter[channel]"


@mutant("PAGE-08", "links leave page_size out, so later pages have the default size")
def links_drop_the_page_size(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, LinksDropThePageSize)


@mutant("PAGE-08", "links leave filter[channel] out, so later pages are unfiltered")
def links_drop_the_channel_filter(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, LinksDropTheChannel)


class SomeLinksDropTheChannel(LinksDropTheChannel):
    """``next`` keeps the filter; the links named in ``losing`` leave it out."""

    losing: tuple[str, ...] = ()

    def _link(self, query: PageQuery, position: Position, query_link: str) -> str:
        return Paginator._link(self, query, position, query_link)

    def page(
        self, query: PageQuery, position: Position, source: PageSource[Any], base_url: str
    ) -> Page[Any]:
        page = super().page(query, position, source, base_url)
        links = cast(dict[str, Any], page.pagination["links"])
        for name in self.losing:
            if links[name] is not None:
                links[name] = without(links[name], self.dropped)
        return page


class PreviousDropsTheChannel(SomeLinksDropTheChannel):
    losing = ("previous",)


class CurrentAndFirstDropTheChannel(SomeLinksDropTheChannel):
    losing = ("current", "first")


@mutant("PAGE-08", "previous leaves filter[channel] out (next keeps it)")
def previous_drops_the_channel_filter(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, PreviousDropsTheChannel)


@mutant("PAGE-08", "current and first leave filter[channel] out (next keeps it)")
def current_and_first_drop_the_channel_filter(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, CurrentAndFirstDropTheChannel)


# -- PAGE-09 -------------------------------------------------------------------------------------


def rewrite_links(store: Store, keys: Mapping[str, str], move: Callable[[str], str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        links = links_of(page)
        for name, link in links.items():
            if link is not None:
                links[name] = move(link)

    return rewrite_pages(create_app(store, keys), change)


@mutant("PAGE-09", "links point to another host")
def links_point_to_another_host(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_links(
        store,
        keys,
        lambda link: urlunsplit(
            urlsplit(link)._replace(netloc=f"audiences.invalid:{urlsplit(link).port}")
        ),
    )


@mutant("PAGE-09", "links switch the scheme to https")
def links_switch_to_https(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_links(
        store, keys, lambda link: urlunsplit(urlsplit(link)._replace(scheme="https"))
    )


# -- link form: absolute URLs or absolute paths (section 4), under each link's rule -------------


def relative_to_the_page(link: str) -> str:
    """The link as a reference relative to the page it is on: its last path segment and its query."""
    parts = urlsplit(link)
    return urlunsplit(("", "", parts.path.rsplit("/", 1)[-1], parts.query, ""))


@mutant(
    "PAGE-06",
    "links are relative references ('audiences?page_size=...'), neither absolute URLs nor absolute paths",
)
def links_relative_to_the_page(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_links(store, keys, relative_to_the_page)


@mutant("PAGE-05", "next links are query-only references ('?page_size=...&page_token=...')")
def next_links_query_only(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        link = links_of(page)["next"]
        if link is not None:
            links_of(page)["next"] = "?" + urlsplit(link).query

    return rewrite_pages(create_app(store, keys), change)


# -- PAGE-10 and its MUST neighbour ROB-01 ---------------------------------------------------------


def valid_page_size(value: str) -> bool:
    return value.isascii() and value.isdigit() and 1 <= int(value) <= 100


@should_only
@mutant("PAGE-10", "a page_size over 100 is clamped to 100 instead of refused")
def page_size_over_100_is_clamped(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params) -> Params:
        return [
            (
                name,
                "100"
                if name == "page_size" and value.isascii() and value.isdigit() and int(value) > 100
                else value,
            )
            for name, value in params
        ]

    return rewrite_query(create_app(store, keys), change)


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
    app = create_app(store, keys)

    async def lenient(scope: Scope, receive: Receive, send: Send) -> None:
        if not (audience_list(scope) and "page_token" in dict(params_of(scope))):
            await app(scope, receive, send)
            return
        status, headers, body = await call(app, scope, receive)
        if status == 400:
            status, headers, body = await call(
                app,
                with_params(scope, [(n, v) for n, v in params_of(scope) if n != "page_token"]),
                receive,
            )
        await answer(send, status, headers, body)

    return lenient


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


# -- FILT-01 and FILT-02 -----------------------------------------------------------------------------


class FilterIgnored(Store):
    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        return super().list_audiences(account_id, None, after_seq, limit)

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return super().count_audiences(account_id, None)


class ChannelMatchedBy(Store):
    """A channel filter that keeps what ``keeps`` says, lists and totals alike."""

    def keeps(self, row: AudienceRecord, channel: str) -> bool:
        return row.channel == channel

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        if channel is None:
            return super().list_audiences(account_id, None, after_seq, limit)
        return audiences_where(
            self, account_id, lambda row: self.keeps(row, channel), after_seq, limit
        )

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return len(self.list_audiences(account_id, channel, 0, EVERYTHING))


class FilterMissesAudiencesWithContacts(ChannelMatchedBy):
    def keeps(self, row: AudienceRecord, channel: str) -> bool:
        return row.channel == channel and row.contacts_count == 0


class SmsFilterAlsoKeepsWhatsapp(ChannelMatchedBy):
    def keeps(self, row: AudienceRecord, channel: str) -> bool:
        return row.channel == channel or (channel == "SMS" and row.channel == "WHATSAPP")


class ViberTotalMissesAudiencesWithContacts(Store):
    def count_audiences(self, account_id: str, channel: str | None) -> int:
        if channel != "VIBER":
            return super().count_audiences(account_id, channel)
        return len(
            audiences_where(
                self,
                account_id,
                lambda row: row.channel == "VIBER" and row.contacts_count == 0,
                0,
                EVERYTHING,
            )
        )


@mutant("FILT-01", "filter[channel] is ignored")
def channel_filter_ignored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, FilterIgnored), keys)


@mutant("FILT-01", "filter[channel] leaves out audiences that have contacts")
def channel_filter_misses_audiences_with_contacts(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, FilterMissesAudiencesWithContacts), keys)


@mutant("FILT-01", "filter[channel]=SMS also returns WHATSAPP audiences")
def sms_filter_also_returns_whatsapp(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, SmsFilterAlsoKeepsWhatsapp), keys)


@mutant("FILT-02", "the VIBER total leaves out audiences that have contacts (the list is right)")
def viber_total_misses_audiences_with_contacts(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, ViberTotalMissesAudiencesWithContacts), keys)


# -- FILT-03 and FILT-04 -----------------------------------------------------------------------------

CHANNELS = ("SMS", "VIBER", "WHATSAPP")


def channel_in(params: Params) -> str | None:
    return dict(params).get("filter[channel]") or None


@should_only
@mutant("FILT-03", "filter[channel] must be upper case; 'viber' is refused")
def channel_filter_case_sensitive(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return refuse_when(
        create_app(store, keys),
        lambda params: channel_in(params) not in (None, *CHANNELS),
        400,
        1307,
    )


@should_only
@mutant("FILT-04", "an unknown filter[channel] is ignored: every audience answers")
def unknown_channel_ignored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_query(
        create_app(store, keys),
        lambda params: [
            (n, v) for n, v in params if n != "filter[channel]" or v.upper() in CHANNELS
        ],
    )


@mutant("FILT-04", "an unknown filter[channel] fails the server")
def unknown_channel_fails_the_server(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return refuse_when(
        create_app(store, keys),
        lambda params: (channel_in(params) or "SMS").upper() not in CHANNELS,
        500,
        1009,
    )


# -- CRUD-06 ---------------------------------------------------------------------------------------


class SearchMatchedBy(Store):
    """filter[search] decided by ``matches`` instead of the reference's rule."""

    def matches(self, contact: ContactRecord, search: str) -> bool:
        raise NotImplementedError

    def list_contacts(
        self, account_id: str, audience_id: str, search: str | None, after_seq: int, limit: int
    ) -> list[ContactRecord]:
        rows = super().list_contacts(account_id, audience_id, None, after_seq, EVERYTHING)
        return [row for row in rows if search is None or self.matches(row, search)][:limit]

    def count_contacts(self, account_id: str, audience_id: str, search: str | None) -> int:
        return len(self.list_contacts(account_id, audience_id, search, 0, EVERYTHING))


class CaseSensitiveSearch(SearchMatchedBy):
    def matches(self, contact: ContactRecord, search: str) -> bool:
        return any(
            search in value for value in (contact.number, contact.first_name, contact.last_name)
        )


class SearchWithoutLastNames(SearchMatchedBy):
    def matches(self, contact: ContactRecord, search: str) -> bool:
        return any(
            search.casefold() in value.casefold() for value in (contact.number, contact.first_name)
        )


class ContactsRepeatTheLastOfThePageBefore(Store):
    def list_contacts(
        self, account_id: str, audience_id: str, search: str | None, after_seq: int, limit: int
    ) -> list[ContactRecord]:
        if after_seq:
            after_seq = (
                super().contact_seq_before(account_id, audience_id, search, after_seq, 1) or 0
            )
        return super().list_contacts(account_id, audience_id, search, after_seq, limit)


@should_only
@mutant("CRUD-06", "filter[search] is case-sensitive")
def contact_search_case_sensitive(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, CaseSensitiveSearch), keys)


@should_only
@mutant("CRUD-06", "filter[search] does not look at last names")
def contact_search_skips_last_names(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, SearchWithoutLastNames), keys)


@should_only
@mutant("CRUD-06", "contact pages repeat the last contact of the page before")
def contact_pages_overlap(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(behaving_as(store, ContactsRepeatTheLastOfThePageBefore), keys)
