"""Walking a paged collection as a client would, and the per-page rules checked on the way.

The walker starts at the first page and follows ``next`` until it is null, resolving each
link against the page that gave it (``Target.follow``). Before following a link it checks
that the link stays on the target (PAGE-09); the request path refuses anything else too.
A server that links forever cannot hang a run: the walk stops at a page already visited, or
after a bound derived from the first page's ``total`` and the page size (:mod:`conformance.checks.walk_bounds`),
never a fixed page count. A walk may also stop on purpose after ``max_pages`` (a bounded prefix).

A :class:`~conformance.checks.walk_model.Walk` keeps only what the checks need
(:mod:`conformance.checks.walk_model`). Each page is read and its links resolved as a client would
(:mod:`conformance.checks.page_reading`); per-page rules (:mod:`conformance.checks.page_checks`) raise
:class:`~conformance.verdict.violations.RuleViolation` at once, naming the page and the link followed;
whole-walk rules are in :mod:`conformance.checks.walk_invariants`. The pages visited (the cycle check) are
kept as 64-bit digests (:class:`~conformance.checks.seen_ids.SeenSet`), so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.checks.page_checks import check_page
from conformance.checks.page_reading import fetch, read_page, resolve_link
from conformance.checks.seen_ids import SeenSet
from conformance.checks.walk_bounds import page_bound
from conformance.checks.walk_model import ItemFilter, Page, PageHook, Query, Walk
from conformance.contract.facts import CHANNELS
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation, check

# The rules a walk checks page by page; every test that walks declares them.
WALK_RULES = ("PAGE-01", "PAGE-03", "PAGE-04", "PAGE-05", "PAGE-06", "PAGE-08", "PAGE-09")


def _exact_channel(query: Query) -> str | None:
    """The channel an audiences query filters on, when spelled as the contract's (FILT-01)."""
    value = dict(query.filters).get("filter[channel]")
    return value if query.path.rstrip("/").endswith("audiences") and value in CHANNELS else None


def _of_channel(channel: str) -> ItemFilter:
    """Every walk of a channel-filtered query checks each item's channel: items of another channel
    behind a link mean the link lost the filter (PAGE-08), which must be told before a total that
    changed with it (PAGE-04)."""
    return ItemFilter(
        lambda item: item.get("channel") in (channel, None), f"with channel '{channel}'", "FILT-01"
    )  # a missing channel is AUD-01's


def walk(
    target: Target,
    query: Query,
    *,
    keep: Sequence[str] = (),
    stable: bool = True,
    entry_rule: str = "PAGE-04",
    slack_items: int = 0,
    after_page: PageHook | None = None,
    matching: ItemFilter | None = None,
    retain: bool = True,
    max_pages: int | None = None,
) -> Walk:
    """Follow ``next`` from the first page to the last and return what was seen.

    ``stable`` says nothing is written during the walk, so PAGE-04 and PAGE-05 hold page by
    page. ``entry_rule`` names the rule a refused first request breaks (a valid query).
    ``slack_items`` widens the bound for walks during which items are created (PAGE-12);
    ``after_page`` is called after each page, before its ``next`` is followed; ``matching``
    is checked on every item of every page (``keep`` must hold the fields it reads).
    ``retain=False`` keeps no page beyond the first and the latest: memory stays flat however
    many items the collection holds (enough for ``check_complete``). ``max_pages`` stops the
    walk there, marked incomplete: a bounded prefix, on which every per-page rule still holds.
    """
    if matching is None and (channel := _exact_channel(query)) is not None:
        matching, keep = _of_channel(channel), (*keep, "channel")
    response = target.get(query.path, params=query.params())
    check(
        response.status_code == 200,
        entry_rule,
        expected=f"200 for {query}",
        received=f"HTTP {response.status_code}",
        response=response,
        context="the first page of a walk",
    )
    result = Walk(query, retain=retain)
    page = read_page(response, via="the first request", keep=keep)
    visited = SeenSet()  # URLs requested, with their page numbers
    visited.add(response.url, 1)
    check_page(target, result, page, response, stable=stable, matching=matching)
    result.add(page)
    bound = page_bound(page.total, query.size_in_force, slack_items)
    while True:
        if after_page is not None:
            after_page(page)
        link = page.links.get("next")
        if link is None:
            return result
        if max_pages is not None and result.page_count >= max_pages:
            result.complete = False
            return result
        url = resolve_link(target, page, "next")
        if url in visited:
            # PAGE-04: a cycle would visit the same items again, forever.
            raise RuleViolation(
                "PAGE-04",
                expected="next links to a page not yet visited",
                received=f"next of {page.describe()} links back to a visited page: {link}",
                context=str(query),
            )
        if result.page_count >= bound:
            raise RuleViolation(
                "PAGE-04",
                expected=f"the walk to end within {bound} pages (total {page.total}, page size {query.size_in_force})",
                received=f"{page.describe()} still links to a next page: {link}",
                context=str(query),
            )
        visited.add(url, result.page_count + 1)
        response = fetch(target, url, link=link)
        check(
            response.status_code == 200,
            "PAGE-04",
            expected="200 when following next",
            received=f"HTTP {response.status_code}",
            response=response,
            context=f"next of {page.describe()}: {link}",
        )
        page = read_page(response, via=f"next of page {page.number}: {link}", keep=keep)
        check_page(target, result, page, response, stable=stable, matching=matching)
        result.add(page)


def first_page(target: Target, query: Query, *, rule: str = "PAGE-04") -> Page:
    """The first page of ``query`` as it is, without the walk's checks (a refused list breaks ``rule``)."""
    response = target.get(query.path, params=query.params())
    check(
        response.status_code == 200,
        rule,
        expected=f"200 for {query}",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    return read_page(response, via="the first request")
