"""Whole-walk rules: what a walk as a whole must show, once the walker has checked each page.

Kept apart from :mod:`conformance.walker`, which only walks: these compare a walk with what
the suite knows (its own items), with ``total``, with another walk, or with pages read again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from conformance.target import Target
from conformance.violations import RuleViolation, check
from conformance.walker import Page, Walk, difference_text, fetch, ids_text, read_page, resolve_link


def check_complete(walked: Walk, own: Collection[str] = (), *, missing_rule: str = "PAGE-04") -> None:
    """PAGE-04: every item once and the count equal to ``total``; ``own`` (ids the suite knows
    match the query) must all be there. Duplicates were refused page by page.

    Known items missing from a walk that still counted ``total`` items were never in the
    collection (``missing_rule``: FILT-01 for a filter); missing from a shorter walk, the
    pagination lost them (PAGE-04). With every known item found, a count that differs from
    ``total`` is a wrong total (PAGE-02).
    """
    if not walked.complete:
        raise ValueError(f"The walk of {walked.query} stopped after {walked.page_count} pages: a prefix proves no completeness.")
    missing = [item_id for item_id in own if not walked.met(item_id)]
    counted = walked.count == walked.total
    check(
        not missing,
        missing_rule if counted else "PAGE-04",
        expected=f"all {len(own)} of the suite's items matching {walked.query} visited",
        received=f"{len(missing)} never seen, e.g. {ids_text(missing)}; {walked.count} items visited over {walked.page_count} pages, total {walked.total}",
    )
    check(counted, "PAGE-02" if own else "PAGE-04", expected=f"total {walked.total} equal to the items a complete walk visits", received=f"{walked.count} items visited over {walked.page_count} pages", context=str(walked.query))


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
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    raise RuleViolation(
        rule,
        expected=f"the same sequence of items from {one.query} and {other.query}",
        received=f"they differ at position {at}: {ids_text(a[at:at + 3])} against {ids_text(b[at:at + 3])} ({len(a)} and {len(b)} items)",
    )


def check_revisits(target: Target, walked: Walk, indexes: Collection[int]) -> None:
    """PAGE-06: for each chosen page, ``current`` gives the same page, ``first`` gives page 1,
    and ``previous`` gives the page before it, same items in the same order."""
    pages = walked.pages
    for index in sorted(indexes):
        page = pages[index]
        _expect_same(target, page, "current", pages[index])
        _expect_same(target, page, "first", pages[0])
        if index > 0:
            _expect_same(target, page, "previous", pages[index - 1])


def _expect_same(target: Target, page: Page, name: str, expected: Page) -> None:
    link = page.links.get(name)
    check(link is not None, "PAGE-06", expected=f"a '{name}' link on page {page.number}", received="null", context=page.describe())
    assert link is not None
    response = fetch(target, resolve_link(target, page, name), link=link)
    context = f"'{name}' of {page.describe()}: {link}"
    check(response.status_code == 200, "PAGE-06", expected="200 when following the link", received=f"HTTP {response.status_code}", response=response, context=context)
    again = read_page(response, via=f"{name} of page {page.number}: {link}")
    # The walk read the page a while ago, the link just now: a difference is the link's unless
    # another client's write is proven meanwhile (conformance.account_wide decides that).
    check(again.number == expected.number, "PAGE-06", expected=f"page {expected.number}", received=f"page {again.number}", response=response, context=context)
    check(again.ids == expected.ids, "PAGE-06", expected=f"the items of page {expected.number} in order: {ids_text(expected.ids)}", received=difference_text(expected.ids, again.ids), response=response, context=context)


@contextmanager
def reported_as(rule: str, scope: str) -> Iterator[None]:
    """Report any violation inside as ``rule``: section-4 rules applied to contacts are CRUD-06."""
    try:
        yield
    except RuleViolation as violation:
        if violation.rule == rule:
            raise
        lines = str(violation).split("\n")
        lines[0] = lines[0].replace(f"[{violation.rule}]", f"[{rule}] ({violation.rule} applied to {scope})", 1)
        relabelled = RuleViolation(rule, expected=violation.expected, received=violation.received)
        relabelled.exchange = violation.exchange
        relabelled.args = ("\n".join(lines),)
        raise relabelled from None


def token_of(link: str) -> str | None:
    """The ``page_token`` a link carries, if it carries one in its query."""
    values = parse_qs(urlsplit(link).query, keep_blank_values=True).get("page_token")
    return values[0] if values else None


