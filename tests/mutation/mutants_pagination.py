"""Mutants of the pages themselves (PAGE-01 to PAGE-05): sizes, totals, numbers and the items a
walk meets. Each breaks one rule, in one way; those in ``SHOULD_ONLY`` break only the SHOULD part
of their rule, so only a strict run fails them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Scope

from conformance.reference.app import create_app
from conformance.reference.pagination import Page, PageQuery, PageSource, Paginator, Position
from conformance.reference.records import AudienceRecord
from conformance.reference.store import Store
from mutation import catalogue
from mutation.catalogue import mutant
from mutation.toolkit.answers import Answer
from mutation.toolkit.pages import (
    Params,
    links_of,
    page_size_of,
    refuse_when,
    retry_list,
    rewrite_pages,
    rewrite_query,
    without_param,
)
from mutation.toolkit.stores import over, with_paginator

SHOULD_ONLY = catalogue.SHOULD_ONLY  # the mutants only a strict run fails (read by the proofs)


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
    return over(TotalIgnoresFilter, store, keys)


@mutant("PAGE-02", "total is one more than the audiences there are")
def total_one_too_many(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(TotalOneTooMany, store, keys)


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
    def the_next(first: Scope, answer: Answer) -> Scope | None:
        link = links_of(json.loads(answer.body))["next"] if answer.status == 200 else None
        return None if link is None else {**first, "query_string": urlsplit(link).query.encode()}

    return retry_list(
        create_app(store, keys),
        empty_token,
        lambda scope: without_param(scope, "page_token"),
        the_next,
    )


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
    return over(SkipsOneAtEachBoundary, store, keys)


@mutant("PAGE-04", "an item repeated across a page boundary")
def repeats_an_item_across_boundaries(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(RepeatsTheLastOfThePageBefore, store, keys)


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
    return over(FullLastPageSeemsToContinue, store, keys)


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
