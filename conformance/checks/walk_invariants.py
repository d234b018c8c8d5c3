"""Whole-walk rules: what a walk as a whole must show, once the walker has checked each page.

Kept apart from :mod:`conformance.checks.walker`, which only walks: these compare a walk with what
the suite knows (its own items), with ``total``, with another walk, or with pages read again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import requests

from conformance.checks.page_checks import check_filter_kept
from conformance.checks.page_reading import fetch, read_page, resolve_link
from conformance.checks.walk_model import Page, Query, Walk, difference_text, ids_text
from conformance.contract.facts import KEY_HEADER, MASK
from conformance.http.target import Target
from conformance.verdict.curl import curl_command
from conformance.verdict.violations import RuleViolation, check

CHANNEL = "filter[channel]"


def check_complete(
    walked: Walk, own: Collection[str] = (), *, missing_rule: str = "PAGE-04"
) -> None:
    """PAGE-04: every item once and the count equal to ``total``; ``own`` (ids the suite knows
    match the query) must all be there. Duplicates were refused page by page.

    Known items missing from a walk that still counted ``total`` items were never in the
    collection (``missing_rule``: FILT-01 for a filter); missing from a shorter walk, the
    pagination lost them (PAGE-04). With every known item found, a count that differs from
    ``total`` is a wrong total (PAGE-02).
    """
    if not walked.complete:
        raise ValueError(
            f"The walk of {walked.query} stopped after {walked.page_count} pages: a prefix proves no completeness."
        )
    missing = [item_id for item_id in own if not walked.met(item_id)]
    counted = walked.count == walked.total
    check(
        not missing,
        missing_rule if counted else "PAGE-04",
        expected=f"each of the suite's {len(own)} items matching {walked.query} on a page of the walk",
        received=f"{_never_seen(missing)} on none of the {walked.page_count} pages, which held {_held(walked)}, the first page saying total {walked.total}",
        context=str(walked.query),
        exchange=walk_exchange(walked),
    )
    check(
        counted,
        "PAGE-02" if own else "PAGE-04",
        expected=f"as many items over the walk as the first page's total, {walked.total}",
        received=f"the walk ended on page {walked.last.number} (next null) after {_held(walked)}",
        context=str(walked.query),
        exchange=walk_exchange(walked),
    )


def _never_seen(missing: Sequence[str]) -> str:
    """'item 'x'' or 'item 'x' (and 2 more: ['y', 'z'])': the first item a reader can look for."""
    if len(missing) <= 1:
        return f"item {missing[0]!r}" if missing else "no item"
    return f"item {missing[0]!r} (and {len(missing) - 1} more: {ids_text(missing[1:])})"


def _held(walked: Walk) -> str:
    """'26 items (page 1: 20, page 2: 6)': the count per page, when the walk kept every page."""
    if len(walked.pages) != walked.page_count:
        return f"{walked.count} items"
    per_page = ", ".join(f"page {page.number}: {len(page.items)}" for page in walked.pages)
    return f"{walked.count} items ({per_page})"


def walk_exchange(walked: Walk) -> str:
    """The last page's request as sent and what its response said: the exchange a whole-walk
    failure shows, read from the page the walk kept (a walk keeps pages, not responses). The
    key is written masked: the walk's pages do not say which of the run's keys was sent."""
    page = walked.last
    return "\n".join(
        [
            f"  request:  GET {page.url}",
            f"            {KEY_HEADER}: {MASK}",
            (
                f"  response: 200, the last of the {walked.page_count} pages the walk read:"
                f" number {page.number}, size {page.size}, total {page.total}, next {page.links.get('next') or 'null'}"
            ),
            f"            ids: {ids_text(page.ids)}",
            f"  curl:     {curl_command('GET', page.url, [(KEY_HEADER, MASK)])}",
        ]
    )


def check_same_sequence(one: Walk, other: Walk, *, rule: str = "PAGE-07") -> None:
    """PAGE-07: the concatenation of all pages is the same sequence for both walks; a bounded
    prefix (an incomplete walk) is the same as the start of the other walk."""
    a, b = one.ids, other.ids
    if not one.complete:
        b = b[: len(a)]
    if not other.complete:
        a = a[: len(b)]
    if a == b:
        return
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    raise RuleViolation(
        rule,
        expected=f"the same sequence of items from {one.query} and {other.query}",
        received=f"they differ at position {at}: {ids_text(a[at : at + 3])} against {ids_text(b[at : at + 3])} ({len(a)} and {len(b)} items)",
    )


def check_revisits(target: Target, walked: Walk, indexes: Collection[int]) -> None:
    """PAGE-06: for each chosen page, ``current`` gives the same page, ``first`` gives page 1,
    and ``previous`` gives the page before it, same items in the same order. PAGE-08: each
    of these links keeps the walk's query in force, as ``next`` must (:func:`check_query_kept`)."""
    pages = walked.pages
    revisits = [
        (pages[index], name, expected)
        for index in sorted(indexes)
        for name, expected in (
            ("current", pages[index]),
            ("first", pages[0]),
            *((("previous", pages[index - 1]),) if index > 0 else ()),
        )
    ]
    # Each revisit is one link followed and compared with a page already read: independent of
    # the others, so they are sent together; the first failure in this order is the one raised.
    target.together(
        lambda revisit: _expect_same(target, walked.query, revisit[0], revisit[1], revisit[2]),
        revisits,
    )


def _expect_same(target: Target, query: Query, page: Page, name: str, expected: Page) -> None:
    link = page.links.get(name)
    check(
        link is not None,
        "PAGE-06",
        expected=f"a '{name}' link on page {page.number}",
        received="null",
        context=page.describe(),
    )
    assert link is not None
    response = fetch(target, resolve_link(target, page, name), link=link)
    context = f"'{name}' of {page.describe()}: {link}"
    check(
        response.status_code == 200,
        "PAGE-06",
        expected="200 when following the link",
        received=f"HTTP {response.status_code}",
        response=response,
        context=context,
    )
    again = read_page(
        response,
        via=f"{name} of page {page.number}: {link}",
        keep=("channel",) if channel_of(query) else (),
    )
    # A page that holds more than the page size, or another channel's items, lost the query
    # on the way: that is what the link did wrong, whatever page it gave (PAGE-08 before PAGE-06).
    check_query_kept(query, again, response=response, context=context)
    if again.total != expected.total and query.filters:
        check_filter_kept(target, query, again, response=response, context=context)
    # The walk read the page a while ago, the link just now: a difference is the link's unless
    # another client's write is proven meanwhile (conformance.checks.account_wide decides that).
    check(
        again.number == expected.number,
        "PAGE-06",
        expected=f"page {expected.number}",
        received=f"page {again.number}",
        response=response,
        context=context,
    )
    check(
        again.ids == expected.ids,
        "PAGE-06",
        expected=f"the items of page {expected.number} in order: {ids_text(expected.ids)}",
        received=difference_text(expected.ids, again.ids),
        response=response,
        context=context,
    )


def channel_of(query: Query) -> str | None:
    """The channel a query filters on, if any."""
    return dict(query.filters).get(CHANNEL)


def check_query_kept(
    query: Query, page: Page, *, response: requests.Response, context: str
) -> None:
    """PAGE-08: a page reached through a link keeps the page size and the channel filter of
    the first request. Neither can come from other clients' writes: an audience never changes
    channel (CRUD-03), and no write makes a page larger than the page size."""
    in_force = query.size_in_force
    check(
        len(page.items) <= in_force,
        "PAGE-08",
        expected=f"page_size {in_force} still in force on pages reached through links",
        received=f"{len(page.items)} items",
        response=response,
        context=context,
        writes_can_cause=False,
    )
    channel = channel_of(query)
    if channel is None:
        return
    for item in page.items:
        seen = item.get("channel")
        # A missing channel is AUD-01's, not the link's.
        check(
            seen in (channel, None),
            "PAGE-08",
            expected=f"{CHANNEL}={channel} still in force on pages reached through links: every item with channel '{channel}'",
            received=f"item {item.id!r} with channel {seen!r}",
            response=response,
            context=context,
            writes_can_cause=False,
        )


@contextmanager
def reported_as(rule: str, scope: str) -> Iterator[None]:
    """Report any violation inside as ``rule``: section-4 rules applied to contacts are CRUD-06."""
    try:
        yield
    except RuleViolation as violation:
        if violation.rule == rule:
            raise
        lines = str(violation).split("\n")
        lines[0] = lines[0].replace(
            f"[{violation.rule}]", f"[{rule}] ({violation.rule} applied to {scope})", 1
        )
        relabelled = RuleViolation(
            rule,
            expected=violation.expected,
            received=violation.received,
            writes_can_cause=violation.writes_can_cause,
        )
        relabelled.exchange = violation.exchange
        relabelled.args = ("\n".join(lines),)
        raise relabelled from None


def token_of(link: str) -> str | None:
    """The ``page_token`` a link carries, if it carries one in its query."""
    values = parse_qs(urlsplit(link).query, keep_blank_values=True).get("page_token")
    return values[0] if values else None
