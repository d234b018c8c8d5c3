"""Faulty list answers whose fault differs from one read to the next.

Each of these servers breaks a pagination rule on a private account that nobody else writes
to, but never the same way twice: the item out of place or the total's error is drawn anew for
every answer, from an unseeded generator. Two reads that disagree are then no evidence of
another client's write; a check that takes them as such lets these servers through.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.pagination import Page, PageQuery, PageSource, Paginator, Position
from conformance.reference.records import AudienceRecord
from conformance.reference.store import Store
from conformance.reference.views import AUDIENCES_PATH
from mutation.catalogue import mutant
from mutation.toolkit.pages import Params, rewrite_pages
from mutation.toolkit.stores import EVERYTHING, over, with_paginator

DRAW = random.SystemRandom()  # never seeded: the fault differs between reads and between runs
SOME_ANSWERS = 0.3  # the share of list answers whose total is wrong
OFF_BY = (-3, -2, -1, 1, 2, 3)


# -- PAGE-04: an earlier item again on later pages ---------------------------------------------


class EarlierItemOnLaterPages(Store):
    """Pages after the first carry one item of an earlier page again, placed at random before
    the page's last item; one new item fewer makes room for it. Pages stay full and the next
    page starts after the last item shown, so no item is lost: the walk only meets duplicates
    and visits more items than ``total``."""

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        # The paginator asks for one item more than the page size, to learn whether a next page exists.
        page_size = limit - 1
        if not after_seq or page_size < 2:
            return super().list_audiences(account_id, channel, after_seq, limit)
        rows = super().list_audiences(account_id, channel, after_seq, limit - 1)
        earlier = super().list_audiences(account_id, channel, 0, EVERYTHING)
        earlier = [row for row in earlier if row.seq <= after_seq]
        if not rows or not earlier:
            return rows
        # Before the page's last item, whose position is where the next page starts.
        at = DRAW.randrange(min(len(rows), page_size - 1))
        return [*rows[:at], DRAW.choice(earlier), *rows[at:]]


@mutant(
    "PAGE-04",
    "each page after the first carries one item of an earlier page again, a different one on every read (pages stay full, nothing is lost)",
)
def later_pages_repeat_an_earlier_item(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(EarlierItemOnLaterPages, store, keys)


class ItemSwappedForAnEarlierOne(Paginator):
    """On each audience page after the first, one item (never the page's last, so the next page
    starts where it should) is replaced by an item of an earlier page: that item is met twice,
    the replaced one never."""

    def page(
        self, query: PageQuery, position: Position, source: PageSource[Any], base_url: str
    ) -> Page[Any]:
        page = super().page(query, position, source, base_url)
        if query.path != AUDIENCES_PATH or position.number == 1 or len(page.items) < 2:
            return page
        earlier: Sequence[Any] = [
            row for row in source.rows(0, EVERYTHING) if row.seq <= position.after_seq
        ]
        if not earlier:
            return page
        items = list(page.items)
        items[DRAW.randrange(len(items) - 1)] = DRAW.choice(earlier)
        return Page(items, page.pagination)


@mutant(
    "PAGE-04",
    "on each page after the first, one item (never the last) is replaced by an item of an earlier page, a different one on every read",
)
def later_pages_swap_an_item_for_an_earlier_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return with_paginator(store, keys, ItemSwappedForAnEarlierOne)


# -- PAGE-02 and PAGE-04: a total that is wrong, differently from answer to answer ---------------
# A total wrong on every answer is wrong on any one page (PAGE-02: a one-page walk of the run's
# own audiences counts fewer). Wrong on some answers only, it is first seen changing between the
# pages of one walk (PAGE-04: the same total on every page).


@mutant(
    "PAGE-02",
    "pagination.total is 1 to 3 too high on every list answer, drawn anew for each answer",
)
def total_too_high_by_one_to_three(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        page["pagination"]["total"] += DRAW.randint(1, 3)

    return rewrite_pages(create_app(store, keys), change)


def off_total(total: int) -> int:
    """``total`` off by a nonzero amount of at most 3, never below 0."""
    delta = DRAW.choice(OFF_BY)
    return total + delta if total + delta >= 0 else total - delta


@mutant(
    "PAGE-04",
    "pagination.total is off by 1 to 3, up or down, on about 30% of list answers (drawn for each answer)",
)
def total_wrong_on_some_answers(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def change(params: Params, page: dict[str, Any]) -> None:
        if DRAW.random() < SOME_ANSWERS:
            page["pagination"]["total"] = off_total(page["pagination"]["total"])

    return rewrite_pages(create_app(store, keys), change)
