"""Pagination of the audience list (section 4) as properties over page sizes and page tokens.

Each walk follows ``next`` from the first page as a client would; the walker checks the
per-page rules (PAGE-01, 03, 04, 05, 06, 08, 09) on every page of every walk, the tests
below add the whole-walk rules. Data is the run's own data set plus whatever the account
already holds: exact-set rules hold for the suite's items, invariants for the whole walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.checks.dataset import DataSet
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_invariants import check_complete, check_revisits, check_same_sequence
from conformance.checks.walk_model import Query, Walk
from conformance.checks.walker import WALK_RULES, first_page
from conformance.contract.facts import AUDIENCES_PATH, MAX_PAGE_SIZE
from conformance.http.target import Target
from conformance.run.session import RunContext
from conformance.suite.pagination_fixtures import (
    channels,
    full_page_sizes,
    own_ids,
    page_sizes,
    property_settings,
    second_account,
    small_page_sizes,
)
from conformance.verdict.violations import NotExercised, check

CHANNEL = "filter[channel]"
PageSizes = st.SearchStrategy[int | None]
T = TypeVar("T")
# Below the default 20: a link that drops the page size shows as a larger page. Two of them to
# an example, and no more examples than the 19 sizes fill pairs without one walked twice.
LINK_PAGE_SIZES = tuple(range(1, 20))


def walk_each_complete(
    target: Target, known: DataSet | None, walks: Walks, sizes: Sequence[int | None]
) -> None:
    """The unfiltered list walked at each of ``sizes``, side by side; each walk is complete."""
    with walks.fresh_on_failure():
        for planned in target.together(
            lambda size: walks.planned(target, Query(AUDIENCES_PATH, size)), sizes
        ):
            check_complete(planned.complete, own(known))


def several_page_sizes(count: int, sizes: st.SearchStrategy[T]) -> st.SearchStrategy[list[T]]:
    """``count`` different page sizes, walked side by side by one example."""
    return st.lists(sizes, min_size=count, max_size=count, unique=True)


# -- PAGE-01 to PAGE-09: walks without writes ------------------------------------------------
# On an account holding thousands of audiences a drawn page size walks a bounded prefix and the
# query is walked to the end at a larger size (conformance.checks.walk_bounds): the per-page rules hold on
# every page either way, and completeness (the run's own audiences, the count equal to total)
# is proved by the walk to the end. Complete walks are reused while the run writes nothing.


def own(known: DataSet | None, channel: str | None = None) -> frozenset[str]:
    """The run's own audiences matching the query: all of them must be in any complete walk."""
    return own_ids(known, channel)


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@property_settings(0.5)
@given(sizes=several_page_sizes(2, page_sizes))
@example(sizes=[1, MAX_PAGE_SIZE])
@example(sizes=[20, None])
def test_a_walk_visits_every_item_once(
    target: Target, known: DataSet | None, walks: Walks, sizes: list[int | None]
) -> None:
    """PAGE-01..05, 08, 09: following ``next`` from page 1 visits every audience exactly once.

    1. Walk the unfiltered list at each of two drawn page sizes (none: the default 20); the
       two walks go side by side.
    2. Each page: size equals its items and the page size in force, numbers count up from 1,
       total never changes, no item repeats, only the last page is short, links stay on target.
    3. Each walk: the suite's own audiences are all there; the count visited equals total.
    """
    walk_each_complete(target, known, walks, sizes)


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@property_settings(0.5)
@given(data=st.data())
def test_a_full_last_page_has_no_next(
    target: Target,
    run: RunContext,
    known: DataSet | None,
    walks: Walks,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """PAGE-05: when the page size divides the total, the last page is full and its next is null.

    1. Read the total; find the page sizes from 1 to 100 that divide it, among those whose walk
       fits the per-walk budget. None fits (an account too large, or empty in a read-only
       run): the second account instead, whose audiences the suite knows; none fits there
       either, or no second key: the clause is not exercised, and the test says why.
    2. Walk at two of those sizes (one when only one fits), side by side: the walker refuses
       an empty page behind next; a complete walk has exactly total/size pages.
    """
    query = Query(AUDIENCES_PATH, 1)
    total = walks.kept_total(target, query)
    if total == 0:
        check(
            run.settings.read_only,
            "PAGE-02",
            expected="a total counting the run's own audiences",
            received="total 0",
            context=str(query),
        )
    fitting = full_page_sizes(total, walks.budget)
    account, sender, own_ids = "first", target, own(known)
    if not fitting:
        other = second_account(request)
        why = f"a full last page has next null: no page size up to 100 divides the first account's total {total} within {walks.budget} pages"
        if other is None:
            raise NotExercised("PAGE-05", f"{why}, and the run has no second key")
        other_total = walks.kept_total(other, query)
        fitting = full_page_sizes(other_total, walks.budget)
        if not fitting:
            raise NotExercised("PAGE-05", f"{why}, nor the second account's total {other_total}")
        account, sender, own_ids, total = "second", other, frozenset(), other_total
    sizes = data.draw(
        several_page_sizes(min(2, len(fitting)), st.sampled_from(fitting)), label="page_sizes"
    )

    def complete(page_size: int) -> Walk:
        return walks.complete(sender, Query(AUDIENCES_PATH, page_size))

    with walks.fresh_on_failure():
        walked = target.together(complete, sizes)
        for each in walked:
            check_complete(each, own_ids)
            # A total that differs from the one read at page size 1 is the server's unless a write
            # is proven since the older of the two reads (both may be kept from earlier tests).
            check(
                each.total == total,
                "PAGE-02",
                expected=f"total {total}, as at page size 1",
                received=f"total {each.total}",
                context=f"{each.query}, {account} account",
            )
    for page_size, each in zip(sizes, walked, strict=True):
        check(
            each.page_count == total // page_size,
            "PAGE-05",
            expected=f"{total // page_size} full pages for total {total} at page size {page_size}",
            received=f"{each.page_count} pages",
            context=f"{each.query}, {account} account",
        )


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@property_settings(0.5, most=len(LINK_PAGE_SIZES) // 2)
@given(sizes=several_page_sizes(2, st.sampled_from(LINK_PAGE_SIZES)))
@example(sizes=[1, 19])
def test_links_keep_the_page_size(
    target: Target, known: DataSet | None, walks: Walks, sizes: list[int]
) -> None:
    """PAGE-08: pages reached through links keep the page size asked for on the first page.

    Two page sizes below the default 20, walked side by side, so a link that drops
    ``page_size`` shows as a larger page; each walk is complete (PAGE-04).
    """
    walk_each_complete(target, known, walks, sizes)


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@pytest.mark.parametrize(
    "sizes", [pytest.param(small_page_sizes, id="small"), pytest.param(page_sizes, id="any")]
)
@property_settings(0.125, fewest=1)
@given(data=st.data())
def test_current_first_and_previous_return_their_pages(
    target: Target, known: DataSet | None, walks: Walks, sizes: PageSizes, data: st.DataObject
) -> None:
    """PAGE-06: ``current`` returns the same page, ``first`` page 1, ``previous`` of page k page k-1.

    1. Walk at two page sizes drawn from ``sizes``, side by side; each walk is complete
       (PAGE-04). Small sizes (many pages to revisit) and any size are two tests, walked side
       by side by workers.
    2. For pages 1, 2, the last, and up to two drawn ones of each walk: follow current, first
       and previous and compare numbers and ids, in order (on a prefix: its pages). The
       revisits of both walks go together.
    """
    drawn = data.draw(several_page_sizes(2, sizes), label="page_sizes")
    with walks.fresh_on_failure():
        planned = target.together(  # the revisits compare with these walks
            lambda size: walks.planned(target, Query(AUDIENCES_PATH, size), fresh=True), drawn
        )
        for each in planned:
            check_complete(each.complete, own(known))
        revisits: list[tuple[Walk, set[int]]] = []
        for size, each in zip(drawn, planned, strict=True):
            last = len(each.at_drawn.pages) - 1
            chosen = {0, min(1, last), last} | data.draw(
                st.sets(st.integers(min_value=0, max_value=last), max_size=2),
                label=f"pages at {size}",
            )
            revisits.append((each.at_drawn, chosen))
        target.together(lambda revisit: check_revisits(target, *revisit), revisits)


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02", "FILT-01")
@property_settings(0.25)
@given(
    channel=channels,
    page_size=small_page_sizes,
    drawn=st.sets(st.integers(min_value=0, max_value=MAX_PAGE_SIZE), max_size=2),
)
@example(channel="SMS", page_size=2, drawn=set())
def test_links_of_a_filtered_walk_keep_the_filter(
    target: Target,
    known: DataSet | None,
    walks: Walks,
    channel: str,
    page_size: int,
    drawn: set[int],
) -> None:
    """PAGE-06 and PAGE-08 on a filtered list: ``current``, ``first`` and ``previous`` keep the
    channel filter and the page size in force, as ``next`` does, and give their pages.

    1. Walk ``filter[channel]`` at a small page size (several pages); the walk is complete
       (FILT-01: the suite's audiences of that channel are all there).
    2. For pages 1, 2, the last and up to two drawn ones, follow current, first and previous:
       every item has the channel and the page is no larger than the page size (PAGE-08),
       then the page is the one expected, same items in the same order (PAGE-06).
    """
    query = Query(AUDIENCES_PATH, page_size, ((CHANNEL, channel),))
    with walks.fresh_on_failure():
        planned = walks.planned(
            target, query, entry_rule="FILT-01", fresh=True
        )  # revisits compare with it
        check_complete(planned.complete, own(known, channel), missing_rule="FILT-01")
        walked = planned.at_drawn
        last = len(walked.pages) - 1
        check_revisits(
            target, walked, {0, min(1, last), last} | {index % (last + 1) for index in drawn}
        )


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02", "PAGE-07")
@property_settings(0.25)
@given(sizes=several_page_sizes(4, page_sizes))
def test_order_is_the_same_whatever_the_page_size(
    target: Target, known: DataSet | None, walks: Walks, sizes: list[int | None]
) -> None:
    """PAGE-07: with no writes in between, all pages concatenated give the same sequence.

    1. Walk at four drawn page sizes, side by side; each walk is complete (PAGE-04), and each
       sequence is the first one's (a prefix is the start of the other walk's sequence).
    2. Ask for the first page again: same items, same order.
    """
    with walks.fresh_on_failure():
        first, *others = target.together(
            lambda size: walks.planned(target, Query(AUDIENCES_PATH, size), fresh=True), sizes
        )  # compared with each other, walked together
        for planned in (first, *others):
            check_complete(planned.complete, own(known))
        for other in others:
            check_same_sequence(
                first.at_drawn, other.at_drawn
            )  # all made now: whole sequences, or their common start
    again = first_page(target, first.at_drawn.query)
    check(
        again.ids == first.at_drawn.pages[0].ids,
        "PAGE-07",
        expected="the same first page when the same query is repeated",
        received=f"{again.ids[:5]} against {first.at_drawn.pages[0].ids[:5]}",
        context=str(first.at_drawn.query),
    )
