"""Pagination of the audience list (section 4) as properties over page sizes and page tokens.

Each walk follows ``next`` from the first page as a client would; the walker checks the
per-page rules (PAGE-01, 03, 04, 05, 06, 08, 09) on every page of every walk, the tests
below add the whole-walk rules. Data is the run's own data set plus whatever the account
already holds: exact-set rules hold for the suite's items, invariants for the whole walk.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.client import create_audience, delete_audience, expect_error
from conformance.dataset import DataSet
from conformance.ledger import Namer
from conformance.suite.pagination_fixtures import page_sizes, property_settings, small_page_sizes
from conformance.target import AUDIENCES_PATH, Target
from conformance.violations import check
from conformance.walker import (
    MAX_PAGE_SIZE,
    WALK_RULES,
    Page,
    Query,
    check_complete,
    check_revisits,
    check_same_sequence,
    read_page,
    token_of,
    walk,
)

CHANNEL = "filter[channel]"


def first_page(target: Target, query: Query, *, rule: str = "PAGE-04") -> Page:
    response = target.get(query.path, params=query.params())
    check(response.status_code == 200, rule, expected=f"200 for {query}", received=f"HTTP {response.status_code}", response=response)
    return read_page(response, via="the first request")


# -- PAGE-01 to PAGE-09: walks without writes ------------------------------------------------


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@property_settings()
@given(page_size=page_sizes)
@example(page_size=1)
@example(page_size=MAX_PAGE_SIZE)
@example(page_size=20)
@example(page_size=None)
def test_a_walk_visits_every_item_once(target: Target, known: DataSet | None, page_size: int | None) -> None:
    """PAGE-01..05, 08, 09: following ``next`` from page 1 visits every audience exactly once.

    1. Walk the unfiltered list at the drawn page size (none: the default 20).
    2. Each page: size equals its items and the page size in force, numbers count up from 1,
       total never changes, no item repeats, only the last page is short, links stay on target.
    3. The walk: the suite's own audiences are all there; the count visited equals total.
    """
    walked = walk(target, Query(AUDIENCES_PATH, page_size), retain=False)  # flat memory on a large account
    check_complete(walked, known.ids() if known else ())


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@property_settings()
@given(data=st.data())
def test_a_full_last_page_has_no_next(target: Target, known: DataSet | None, data: st.DataObject) -> None:
    """PAGE-05: when the page size divides the total, the last page is full and its next is null.

    1. Read the total; draw a page size from 1 to 100 that divides it.
    2. Walk: the walker refuses an empty page behind next; a complete walk has exactly
       total/size pages.
    """
    total = first_page(target, Query(AUDIENCES_PATH, 1)).total
    if total == 0:
        pytest.skip("the account holds no audiences, so no page can be full")
    page_size = data.draw(st.sampled_from([size for size in range(1, MAX_PAGE_SIZE + 1) if total % size == 0]), label="page_size")
    walked = walk(target, Query(AUDIENCES_PATH, page_size), retain=False)
    check_complete(walked, known.ids() if known else ())
    check(walked.page_count == total // page_size, "PAGE-05", expected=f"{total // page_size} full pages for total {total} at page size {page_size}", received=f"{walked.page_count} pages", context=str(walked.query))


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES)
@property_settings()
@given(page_size=st.integers(min_value=1, max_value=19))
@example(page_size=1)
@example(page_size=19)
def test_links_keep_the_page_size(target: Target, page_size: int) -> None:
    """PAGE-08: pages reached through links keep the page size asked for on the first page.

    Page sizes below the default 20, so a link that drops ``page_size`` shows as a larger page.
    """
    walk(target, Query(AUDIENCES_PATH, page_size))


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02")
@property_settings(0.5)
@given(page_size=st.one_of(small_page_sizes, page_sizes), data=st.data())
def test_current_first_and_previous_return_their_pages(target: Target, known: DataSet | None, page_size: int | None, data: st.DataObject) -> None:
    """PAGE-06: ``current`` returns the same page, ``first`` page 1, ``previous`` of page k page k-1.

    1. Walk at the drawn page size; the walk is complete (PAGE-04).
    2. For pages 1, 2, the last, and up to two drawn ones: follow current, first and previous
       and compare numbers and ids, in order.
    """
    walked = walk(target, Query(AUDIENCES_PATH, page_size))
    check_complete(walked, known.ids() if known else ())
    last = len(walked.pages) - 1
    chosen = {0, min(1, last), last} | data.draw(st.sets(st.integers(min_value=0, max_value=last), max_size=2), label="pages")
    check_revisits(target, walked, chosen)


@pytest.mark.account_wide
@pytest.mark.rule(*WALK_RULES, "PAGE-02", "PAGE-07")
@property_settings(0.5)
@given(one=page_sizes, other=page_sizes)
def test_order_is_the_same_whatever_the_page_size(target: Target, known: DataSet | None, one: int | None, other: int | None) -> None:
    """PAGE-07: with no writes in between, all pages concatenated give the same sequence.

    1. Walk at two drawn page sizes; each walk is complete (PAGE-04), and the two sequences
       are identical.
    2. Ask for the first page again: same items, same order.
    """
    first = walk(target, Query(AUDIENCES_PATH, one))
    second = walk(target, Query(AUDIENCES_PATH, other))
    for walked in (first, second):
        check_complete(walked, known.ids() if known else ())
    check_same_sequence(first, second)
    again = first_page(target, first.query)
    check(again.ids == first.pages[0].ids, "PAGE-07", expected="the same first page when the same query is repeated", received=f"{again.ids[:5]} against {first.pages[0].ids[:5]}", context=str(first.query))


# -- PAGE-10: page sizes outside 1..100 ------------------------------------------------------

INVALID_PAGE_SIZES = ("0", "-1", "101", "1000000000000", "99999999999999999999999", "abc", "", " ", "+5", "1e2", "5.0", "0x10", "٣")


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
    check(response.status_code < 500, "ROB-01", expected="no 5xx for any page_size", received=f"HTTP {response.status_code}", response=response, context=f"page_size={page_size!r}")
    if response.status_code != 200:
        return
    body = response.json()
    data, pagination = body.get("data"), body.get("pagination") or {}
    count = len(data) if isinstance(data, list) else -1
    check(0 <= count <= MAX_PAGE_SIZE, "PAGE-01", expected=f"at most {MAX_PAGE_SIZE} items on any page", received=f"{count} items", response=response, context=f"page_size={page_size!r}")
    check(pagination.get("size") == count, "PAGE-01", expected=f"pagination.size equal to the {count} items", received=pagination.get("size"), response=response, context=f"page_size={page_size!r}")


@pytest.mark.rule("PAGE-10")
@_with_listed_sizes
@property_settings()
@given(page_size=invalid_page_sizes)
def test_an_invalid_page_size_is_refused(target: Target, page_size: str) -> None:
    """PAGE-10 (SHOULD): a page size that is not an integer from 1 to 100, empty included,
    gets 400 with the error envelope (clamping instead fails only here)."""
    expect_error(target.get(AUDIENCES_PATH, params={"page_size": page_size}), status=400, rule="PAGE-10", context=f"page_size={page_size!r}")


# -- PAGE-11: broken page tokens ----------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A page token as a link gave it, and the query it was issued for."""

    token: str
    query: Query


@dataclass(frozen=True)
class Attempt:
    """A request with a token that is not valid for it, and why not."""

    why: str
    params: tuple[tuple[str, str], ...]


def issue_token(target: Target, query: Query) -> Issued | None:
    """The token of page 2 of ``query``, or None when there is no page 2 or no token in its link."""
    page = first_page(target, query)
    link = page.links["next"]
    token = token_of(link) if link else None
    return Issued(token, query) if token else None


@pytest.fixture(scope="session")
def issued_tokens(target: Target, known: DataSet | None) -> tuple[Issued | None, Issued | None]:
    """Two tokens of two different queries (page size 1 unfiltered; page size 2 for SMS), taken
    once the data set exists (when the run may write) so that both have a second page. Either
    may be None (too few audiences, or links without a page_token): the tokens made from
    nothing (noise, random strings) are sent all the same."""
    return issue_token(target, Query(AUDIENCES_PATH, 1)), issue_token(target, Query(AUDIENCES_PATH, 2, ((CHANNEL, "SMS"),)))


_NOISE = st.binary(min_size=1, max_size=64).map(lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="))
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="


def broken_tokens(issued: tuple[Issued | None, Issued | None]) -> st.SearchStrategy[Attempt]:
    """Noise and random strings always; truncated, bit-flipped and extended tokens, and valid
    tokens sent with another query, when the target issued them."""
    (one, two) = issued
    params = Query(AUDIENCES_PATH, 1).params()

    def sent(why: str, value: str, query_params: list[tuple[str, str]] = params) -> Attempt:
        return Attempt(why, (*query_params, ("page_token", value)))

    made_from_nothing = [
        _NOISE.map(lambda noise: sent("base64 noise", noise)),
        st.text(min_size=1, max_size=64).filter(lambda text: text.strip() != "").map(lambda text: sent("a random string", text)),
    ]
    if one is None:
        return st.one_of(made_from_nothing)
    token = one.token

    def flipped(position: int, replacement: str) -> Attempt:
        index = position % len(token)
        char = replacement if replacement != token[index] else ("A" if token[index] != "A" else "B")
        return sent(f"character {index} changed", token[:index] + char + token[index + 1 :])

    tampered = [
        st.integers(min_value=1, max_value=max(1, len(token) - 1)).map(lambda keep: sent(f"truncated to {keep} characters", token[:keep])),
        st.builds(flipped, st.integers(min_value=0), st.sampled_from(_TOKEN_CHARS)),
        st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=8).map(lambda tail: sent("extended", token + tail)),
        st.just(sent("issued for page size 1, sent with page size 3", token, Query(AUDIENCES_PATH, 3).params())),
    ]
    if two is not None:
        tampered += [
            st.just(sent("issued for SMS, sent with VIBER", two.token, Query(AUDIENCES_PATH, 2, ((CHANNEL, "VIBER"),)).params())),
            st.just(sent("issued for SMS, sent without a filter", two.token, Query(AUDIENCES_PATH, 2).params())),
        ]
    return st.one_of(*tampered, *made_from_nothing)


@pytest.mark.rule("PAGE-11")
@property_settings()
@given(data=st.data())
def test_a_broken_page_token_never_fails_the_server(target: Target, issued_tokens: tuple[Issued | None, Issued | None], data: st.DataObject) -> None:
    """PAGE-11 (MUST): a malformed, truncated or tampered token, or one of another query, never gets a 5xx."""
    attempt = data.draw(broken_tokens(issued_tokens), label="attempt")
    response = target.get(AUDIENCES_PATH, params=list(attempt.params))
    check(response.status_code < 500, "PAGE-11", expected="no 5xx for a broken page_token", received=f"HTTP {response.status_code}", response=response, context=f"page_token {attempt.why}")


@pytest.mark.rule("PAGE-11", level="SHOULD")
@property_settings()
@given(data=st.data())
def test_a_broken_page_token_is_refused(target: Target, issued_tokens: tuple[Issued | None, Issued | None], data: st.DataObject) -> None:
    """PAGE-11 (SHOULD): such a token gets 400 with the error envelope."""
    attempt = data.draw(broken_tokens(issued_tokens), label="attempt")
    response = target.get(AUDIENCES_PATH, params=list(attempt.params))
    expect_error(response, status=400, rule="PAGE-11", context=f"page_token {attempt.why}")


@pytest.mark.account_wide
@pytest.mark.rule("PAGE-11", "TEN-01")
def test_a_token_of_another_account_shows_nothing_of_it(target: Target, other_target: Target, known: DataSet | None, secondary_ids: frozenset[str]) -> None:
    """PAGE-11, TEN-01 (MUST): a token issued to one account, sent with the other's key, gets no
    5xx and never shows the issuing account's audiences. Both directions."""
    theirs = issue_token(other_target, Query(AUDIENCES_PATH, 1))
    ours = issue_token(target, Query(AUDIENCES_PATH, 1))
    if theirs is None or ours is None:
        pytest.skip("each account needs two audiences and links with a page_token")
    own_ids = known.ids() if known else frozenset(walk(target, Query(AUDIENCES_PATH, MAX_PAGE_SIZE)).ids)
    for sender, issued, foreign in ((target, theirs, secondary_ids), (other_target, ours, own_ids)):
        response = sender.get(AUDIENCES_PATH, params=[*issued.query.params(), ("page_token", issued.token)])
        check(response.status_code < 500, "PAGE-11", expected="no 5xx for another account's page_token", received=f"HTTP {response.status_code}", response=response)
        if response.status_code == 200:
            shown = [item.id for item in read_page(response, via="another account's page_token").items if item.id in foreign]
            check(not shown, "TEN-01", expected="none of the issuing account's audiences", received=f"{len(shown)} of them: {shown[:5]}", response=response)


@pytest.mark.rule("PAGE-11", level="SHOULD")
def test_a_token_of_another_account_is_refused(target: Target, other_target: Target, secondary_ids: frozenset[str]) -> None:
    """PAGE-11 (SHOULD): a token sent with another account's key gets 400 with the envelope."""
    theirs = issue_token(other_target, Query(AUDIENCES_PATH, 1))
    if theirs is None:
        pytest.skip("the second account needs two audiences and links with a page_token")
    response = target.get(AUDIENCES_PATH, params=[*theirs.query.params(), ("page_token", theirs.token)])
    expect_error(response, status=400, rule="PAGE-11", context="a page_token issued to another account")


# -- PAGE-12: walks while others write ---------------------------------------------------------

CREATED_DURING_WALK = 4


@pytest.mark.writes
@pytest.mark.rule("PAGE-12")
@property_settings(0.25)
@given(page_size=st.integers(min_value=2, max_value=6))
def test_items_present_for_a_whole_walk_are_seen_once(target: Target, namer: Namer, dataset: DataSet, page_size: int) -> None:
    """PAGE-12 (SHOULD): audiences that exist for the whole walk are each visited exactly once,
    while others are created and deleted between its pages.

    1. Create audiences in pairs, one to keep and one to delete, interleaved in the order.
    2. Walk; after each page delete the doomed audiences it showed, and create a new one
       after each of the first pages (offset pagination then skips or repeats items).
    3. Every audience that existed throughout (the kept ones, the data set) was seen once.
    """
    kept, doomed = [], set()
    for _ in range(3 * page_size):
        kept.append(create_audience(target, namer.fresh(), "WHATSAPP")["id"])
        doomed.add(create_audience(target, namer.fresh(), "WHATSAPP")["id"])
    created: list[str] = []

    def write_between_pages(page: Page) -> None:
        for audience_id in doomed.intersection(page.ids):
            delete_audience(target, audience_id)
            doomed.discard(audience_id)
        if len(created) < CREATED_DURING_WALK:
            created.append(create_audience(target, namer.fresh(), "SMS")["id"])

    try:
        walked = walk(target, Query(AUDIENCES_PATH, page_size), stable=False, slack_items=CREATED_DURING_WALK, after_page=write_between_pages)
    finally:
        for audience_id in [*kept, *doomed, *created]:
            delete_audience(target, audience_id)
    counts = Counter(walked.ids)
    stable = set(kept) | dataset.ids()
    missing = sorted(stable - set(counts))
    repeated = sorted(audience_id for audience_id, count in counts.items() if count > 1)
    context = f"{walked.query}, {len(walked.pages)} pages, with creates and deletes between pages"
    check(not missing, "PAGE-12", expected="every audience present for the whole walk visited", received=f"{len(missing)} never seen: {missing[:5]}", context=context)
    check(not repeated, "PAGE-12", expected="no audience visited twice", received=f"{len(repeated)} seen twice: {repeated[:5]}", context=context)
