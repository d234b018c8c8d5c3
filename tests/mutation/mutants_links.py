"""Mutants of the pages' links and order (PAGE-06 to PAGE-09, and the links' form): links that
lead elsewhere, drop a parameter, or change the order. Each breaks one rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.cursors import InvalidToken
from conformance.reference.pagination import Page, PageQuery, PageSource, Paginator, Position
from conformance.reference.store import Store
from mutation.catalogue import mutant
from mutation.toolkit.pages import Params, links_of, page_size_of, rewrite_pages, without
from mutation.toolkit.stores import with_paginator

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
