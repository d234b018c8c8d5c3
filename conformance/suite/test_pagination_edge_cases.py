"""Pagination's edge cases: an empty collection (PAGE-05), page sizes outside 1..100
(PAGE-10, with ROB-01 and PAGE-01), and walks while others write (PAGE-12).

The walks without writes, and their whole-walk rules, are in ``test_pagination.py``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from functools import partial
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.checks.client import create_audience, delete_audience, expect_error
from conformance.checks.dataset import DataSet
from conformance.checks.page_reading import resolve_link
from conformance.checks.walk_bounds import plan, size_to_end, straddling_size
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_invariants import walk_exchange
from conformance.checks.walk_model import Query, Walk
from conformance.checks.walker import first_page, walk
from conformance.contract.facts import AUDIENCES_PATH, CHANNELS, MAX_PAGE_SIZE
from conformance.http.ledger import Namer
from conformance.http.target import Target
from conformance.suite.pagination_fixtures import property_settings, second_account
from conformance.suite.writing_walk import WritingWalk
from conformance.verdict.violations import NotExercised, check

CHANNEL = "filter[channel]"


@pytest.mark.rule("PAGE-05")
def test_an_empty_collection_is_one_page(
    target: Target, known: DataSet | None, request: pytest.FixtureRequest
) -> None:
    """PAGE-05: an empty collection is one page: data [], total 0, number 1, previous and next null.

    Every channel filter of both accounts is read at page size 1: the second account (when the
    run has its key) holds only what the suite made there, none of it WHATSAPP, unless others
    use it too. Those with total 0 are the empty collections the suite can see without deleting
    anything. When none is empty, the clause is not exercised, and the test says why. (``known``
    makes sure the data set exists first, when the run may write.)
    """
    accounts = [("first", target)]
    other = second_account(request)
    if other is not None:
        accounts.append(("second", other))
    empty = []
    for account, sender in accounts:
        for channel in CHANNELS:
            query = Query(AUDIENCES_PATH, 1, ((CHANNEL, channel),))
            first = first_page(sender, query, rule="FILT-01")
            if first.total != 0:
                continue
            empty.append(f"{account} account, {channel}")
            context = f"{query}, {account} account (an empty collection)"
            check(
                first.ids == [] and first.size == 0,
                "PAGE-05",
                expected="data [] and size 0 for an empty collection",
                received=f"{len(first.ids)} items, size {first.size}",
                context=context,
            )
            check(
                first.number == 1,
                "PAGE-05",
                expected="number 1 on the one page of an empty collection",
                received=f"number {first.number}",
                context=context,
            )
            check(
                first.links["previous"] is None and first.links["next"] is None,
                "PAGE-05",
                expected="previous and next null on the one page of an empty collection",
                received=f"previous {first.links['previous']!r}, next {first.links['next']!r}",
                context=context,
            )
            for name in ("first", "current"):
                resolve_link(sender, first, name)  # PAGE-09: on the target, empty collection or not
    if not empty:
        second = "" if other is not None else " (the run has no second key)"
        raise NotExercised(
            "PAGE-05",
            f"an empty collection is one page: no channel filter of the {' or '.join(name for name, _ in accounts)} account is empty{second}",
        )
    print(f"PAGE-05 empty collection exercised on: {'; '.join(empty)}")


# -- PAGE-10: page sizes outside 1..100 ------------------------------------------------------

INVALID_PAGE_SIZES = (
    "0",
    "-1",
    "101",
    "1000000000000",
    "99999999999999999999999",
    "abc",
    "",
    " ",
    "+5",
    "1e2",
    "5.0",
    "0x10",
    "٣",
)


def _is_valid_page_size(text: str) -> bool:
    return text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE_SIZE


invalid_page_sizes = st.one_of(
    st.sampled_from(INVALID_PAGE_SIZES),
    st.integers(max_value=0).map(str),
    st.integers(min_value=MAX_PAGE_SIZE + 1).map(str),
    st.text(min_size=1, max_size=12).filter(lambda text: not _is_valid_page_size(text.strip())),
)


def _with_listed_sizes(test: Any) -> Any:
    """Always try the contract's own examples, then whatever Hypothesis draws."""
    for value in INVALID_PAGE_SIZES:
        test = example(page_size=value)(test)
    return test


@pytest.mark.rule("ROB-01", "PAGE-01")
@_with_listed_sizes
@property_settings()
@given(page_size=invalid_page_sizes)
def test_an_invalid_page_size_never_fails_the_server(target: Target, page_size: str) -> None:
    """ROB-01 (MUST): no page size yields a 5xx; PAGE-01: a server that answers anyway (clamping
    a large value is tolerated) still never returns more than 100 items, and says how many."""
    response = target.get(AUDIENCES_PATH, params={"page_size": page_size})
    check(
        response.status_code < 500,
        "ROB-01",
        expected="no 5xx for any page_size",
        received=f"HTTP {response.status_code}",
        response=response,
        context=f"page_size={page_size!r}",
    )
    if response.status_code != 200:
        return
    body = response.json()
    data, pagination = body.get("data"), body.get("pagination") or {}
    count = len(data) if isinstance(data, list) else -1
    check(
        0 <= count <= MAX_PAGE_SIZE,
        "PAGE-01",
        expected=f"at most {MAX_PAGE_SIZE} items on any page",
        received=f"{count} items",
        response=response,
        context=f"page_size={page_size!r}",
    )
    check(
        pagination.get("size") == count,
        "PAGE-01",
        expected=f"pagination.size equal to the {count} items",
        received=pagination.get("size"),
        response=response,
        context=f"page_size={page_size!r}",
    )


@pytest.mark.rule("PAGE-10")
@_with_listed_sizes
@property_settings()
@given(page_size=invalid_page_sizes)
def test_an_invalid_page_size_is_refused(target: Target, page_size: str) -> None:
    """PAGE-10 (SHOULD): a page size that is not an integer from 1 to 100, empty included,
    gets 400 with the error envelope (clamping instead fails only here)."""
    expect_error(
        target.get(AUDIENCES_PATH, params={"page_size": page_size}),
        status=400,
        rule="PAGE-10",
        context=f"page_size={page_size!r}",
    )


# -- PAGE-12: walks while others write ---------------------------------------------------------

CREATED_DURING_WALK = 4  # by each walk, between its first pages
# The data set's two smallest shares, one walk each: the shortest walks through it.
WALKED_CHANNELS = ("WHATSAPP", "VIBER")


@pytest.mark.writes
@pytest.mark.account_wide
@pytest.mark.rule("PAGE-12")
@property_settings(0.125, fewest=1)
@given(page_sizes=st.lists(st.integers(min_value=2, max_value=6), min_size=2, max_size=2))
def test_items_present_for_a_whole_walk_are_seen_once(
    target: Target, namer: Namer, dataset: DataSet, walks: Walks, page_sizes: list[int]
) -> None:
    """PAGE-12 (SHOULD): audiences that exist for the whole walk are each visited exactly once,
    while others are created and deleted between its pages.

    1. Create audiences in two channels (the data set's smallest shares are there too),
       together.
    2. Walk each channel at a page size of its own, the two walks side by side. On each page,
       of the audiences just created, every other one in the order the walk shows them is kept
       and the rest deleted before the next page, and a new one of the channel is created after
       each of the first pages (offset pagination then skips or repeats items). On an account
       whose walk at the drawn size would exceed the budget, the walk goes at a larger size that
       splits the new audiences over two pages.
    3. In each walk, every audience of its channel that existed throughout (the kept ones,
       those the walk never showed, the data set's) was seen once, and none was seen twice.

    Each walk's bound allows for its own creates only: another client creating audiences of
    the channel meanwhile makes the walk longer, past its bound (PAGE-04). Such a failure, as
    any of this test's, is tried again only on evidence of that client's writes (marker
    ``account_wide``).
    """
    planned = [
        (channel, [namer.fresh() for _ in range(6 * page_size)])
        for channel, page_size in zip(WALKED_CHANNELS, page_sizes, strict=True)
    ]
    made = target.together(
        lambda create: create_audience(target, create[1], create[0])["id"],
        [(channel, name) for channel, names in planned for name in names],
    )
    writers = []
    for channel, names in planned:
        fresh = [namer.fresh() for _ in range(CREATED_DURING_WALK)]
        writers.append(WritingWalk(target, channel, made[: len(names)], fresh))
        made = made[len(names) :]
    queries = [Query(AUDIENCES_PATH, None, ((CHANNEL, channel),)) for channel in WALKED_CHANNELS]
    totals = target.together(lambda query: walks.total(target, query), queries)
    sizes = [
        straddling_size(total, 6 * page_size, size_to_end(total, walks.budget))
        if plan(total, page_size, budget=walks.budget, own_items=walks.own_items).bounded
        else page_size
        for total, page_size in zip(totals, page_sizes, strict=True)
    ]
    try:
        walked = target.all_together(
            [
                partial(
                    walk,
                    target,
                    dataclasses.replace(query, page_size=size),
                    stable=False,
                    slack_items=CREATED_DURING_WALK,
                    after_page=writer.write_between_pages,
                )
                for query, size, writer in zip(queries, sizes, writers, strict=True)
            ]
        )
    finally:
        target.together(
            lambda audience_id: delete_audience(target, audience_id),
            [audience_id for writer in writers for audience_id in writer.left()],
        )
    for one, writer in zip(walked, writers, strict=True):
        _check_seen_once(one, writer.throughout(dataset))


def _check_seen_once(walked: Walk, throughout: frozenset[str]) -> None:
    """PAGE-12 on one walk: each audience present throughout seen, none seen twice."""
    counts = Counter(walked.ids)
    missing = sorted(throughout - set(counts))
    repeated = sorted(audience_id for audience_id, count in counts.items() if count > 1)
    context = f"{walked.query}, {len(walked.pages)} pages, with creates and deletes between pages"
    check(
        not missing,
        "PAGE-12",
        expected="every audience present for the whole walk visited",
        received=f"{len(missing)} never seen: {missing[:5]}",
        context=context,
        exchange=walk_exchange(walked),
    )
    check(
        not repeated,
        "PAGE-12",
        expected="no audience visited twice",
        received=f"{len(repeated)} seen twice: {repeated[:5]}",
        context=context,
        exchange=walk_exchange(walked),
    )
