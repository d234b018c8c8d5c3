"""The rules each page of a walk must keep, on its own and against the pages before it.

Size and number (PAGE-01, PAGE-03), every link on the target (PAGE-09), the filter and page size
kept behind links (PAGE-08), and, while nothing is written, one total and every item once
(PAGE-04) and full pages up to the last (PAGE-05). Whole-walk rules are in
:mod:`conformance.checks.walk_invariants`.
"""

from __future__ import annotations

import requests

from conformance.checks.page_reading import resolve_link
from conformance.checks.walk_model import LINK_NAMES, ItemFilter, Page, Query, Walk
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation, check


def check_filter_kept(
    target: Target,
    query: Query,
    page: Page,
    *,
    response: requests.Response,
    context: str,
    where: str = "",
) -> None:
    """A total that changed behind a link of a filtered walk: when it is the unfiltered query's
    total, the link lost the filter (PAGE-08), which is the fault to name, not the total (PAGE-04).
    ``where`` names the page in the message, when the reader needs it."""
    unfiltered = target.get(query.path, params=[("page_size", "1")])
    try:
        total = unfiltered.json()["pagination"]["total"] if unfiltered.status_code == 200 else None
    except (ValueError, KeyError, TypeError):
        total = None
    filters = ", ".join(f"{name}={value}" for name, value in query.filters)
    check(
        total != page.total,
        "PAGE-08",
        expected=f"{filters} still in force on pages reached through links",
        received=f"total {page.total}{where}, the total of the query without its filter",
        response=response,
        context=context,
    )


def check_page(
    target: Target,
    walked: Walk,
    page: Page,
    response: requests.Response,
    *,
    stable: bool,
    matching: ItemFilter | None,
) -> None:
    """The rules a page must keep on its own and against the pages before it."""
    query, in_force = walked.query, walked.query.size_in_force
    for name in LINK_NAMES:
        if page.links[name] is not None:
            resolve_link(target, page, name)  # PAGE-09, for every link of every page
    check(
        page.size == len(page.items),
        "PAGE-01",
        expected=f"pagination.size equal to the {len(page.items)} items in data",
        received=f"size {page.size}",
        response=response,
        context=page.describe(),
    )
    if not walked.page_count:
        check(
            page.size <= in_force,
            "PAGE-01",
            expected=f"at most {in_force} items (the page size in force)",
            received=f"{page.size} items",
            response=response,
            context=page.describe(),
        )
        check(
            page.number == 1,
            "PAGE-03",
            expected="number 1 on the first page",
            received=f"number {page.number}",
            response=response,
            context=str(query),
        )
        check(
            page.links["previous"] is None,
            "PAGE-03",
            expected="previous null on the first page",
            received=page.links["previous"],
            response=response,
            context=str(query),
        )
    else:
        before = walked.last
        # PAGE-08: the first page kept the page size; a larger page reached through a link did not.
        check(
            page.size <= in_force,
            "PAGE-08",
            expected=f"page_size {in_force} still in force on pages reached through links",
            received=f"{page.size} items",
            response=response,
            context=page.describe(),
        )
        check(
            page.number == before.number + 1,
            "PAGE-03",
            expected=f"number {before.number + 1} after following next of page {before.number}",
            received=f"number {page.number}",
            response=response,
            context=page.describe(),
        )
    if matching is not None:
        rule = "PAGE-08" if walked.page_count else matching.first_page_rule
        for item in page.items:
            shown = ", ".join(f"{name} {value!r}" for name, value in item.fields)
            check(
                matching.accept(item),
                rule,
                expected=f"every item {matching.wanted}",
                received=f"item {item.id!r} with {shown}",
                response=response,
                context=page.describe(),
            )
    # Every id is recorded, stable or not; only a stable walk must meet each one once.
    repeated = [
        (item.id, earlier)
        for item in page.items
        if (earlier := walked.seen.add(item.id, page.number)) is not None
    ]
    if not stable:
        return
    first_total = walked.total if walked.page_count else page.total
    if page.total != first_total and walked.page_count and query.filters:
        check_filter_kept(
            target,
            query,
            page,
            response=response,
            context=str(query),
            where=f" on {page.describe()}",
        )
    check(
        page.total == first_total,
        "PAGE-04",
        expected=f"total {first_total} on every page (no writes in between)",
        received=f"total {page.total}",
        response=response,
        context=page.describe(),
    )
    if repeated:
        item_id, earlier = repeated[0]
        raise RuleViolation(
            "PAGE-04",
            expected="every item visited once",
            received=f"item {item_id!r} on {page.describe()} was already on page {earlier}",
            response=response,
            context=str(query),
        )
    if page.links["next"] is not None:
        check(
            page.size == in_force,
            "PAGE-05",
            expected=f"a full page ({in_force} items) whenever next is a link",
            received=f"{page.size} items and next {page.links['next']!r}",
            response=response,
            context=page.describe(),
        )
    if walked.page_count:
        check(
            page.size > 0,
            "PAGE-05",
            expected="next null on the last page, never a link to an empty page",
            received=f"an empty page behind next of page {walked.last.number}",
            response=response,
            context=page.describe(),
        )
    elif page.size == 0:
        check(
            page.total == 0,
            "PAGE-05",
            expected="an empty first page only for an empty collection (total 0)",
            received=f"total {page.total}",
            response=response,
            context=str(query),
        )
