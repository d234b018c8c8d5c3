"""How far a walk may go, and at which page size it goes to the end.

Two bounds, both derived from what the server says, never from a fixed page count:

- :func:`page_bound`: a walk that still links to a next page well past what the first page's
  ``total`` implies is endless (PAGE-04). The margin is two pages, one in a hundred more, and
  room for items created during the walk; a conformant server, however many audiences its
  account holds, never reaches it.
- :func:`plan`: a run must not send a customer's staging a hundred times its usual requests
  because the account already holds thousands of audiences. A walk whose pages at the drawn
  size would exceed the profile's per-walk request budget is walked to the end at the largest
  page size (100, the fewest requests), and the drawn size walks a bounded prefix: as many pages
  as the run's own data set fills at that size, and one more. Every per-page rule is still
  checked at the small size; completeness is proved by the walk to the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conformance.contract.facts import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

BOUND_MARGIN_PAGES = 2
BOUND_MARGIN_SHARE = 0.01


def pages_for(items: int, size: int) -> int:
    """Pages a complete walk of ``items`` takes at ``size`` (an empty collection is one page)."""
    return max(1, math.ceil(items / max(size, 1)))


def page_bound(total: int, size: int, slack_items: int = 0) -> int:
    """Pages a finite walk may take: what ``total`` implies, with a margin (PAGE-04 beyond it)."""
    expected = pages_for(total + slack_items, size)
    return expected + BOUND_MARGIN_PAGES + math.ceil(expected * BOUND_MARGIN_SHARE)


@dataclass(frozen=True)
class WalkPlan:
    """The page size a test drew, the one walked to the end, and why they differ (if they do)."""

    drawn: int | None  # None: no page_size sent (the default, 20)
    to_end: int | None
    prefix_pages: int | None  # pages walked at the drawn size when it is not walked to the end

    @property
    def bounded(self) -> bool:
        return self.prefix_pages is not None


def plan(total: int, drawn: int | None, *, budget: int, own_items: int) -> WalkPlan:
    """Walk at ``drawn`` to the end when that takes at most ``budget`` requests and at most twice
    what the run's own audiences take at that size (an account holding little else); otherwise
    walk ``drawn`` on a prefix (the run's own share, and a page more) and go to the end once, at
    the largest page size: the fewest requests, and the same size for every drawn one, so that
    walk can be reused."""
    in_force = DEFAULT_PAGE_SIZE if drawn is None else drawn
    pages, own_pages = pages_for(total, in_force), pages_for(own_items, in_force)
    if pages <= budget and pages <= 2 * (own_pages + 1):
        return WalkPlan(drawn, drawn, None)
    return WalkPlan(drawn, MAX_PAGE_SIZE, min(budget, own_pages + 1))


def size_to_end(total: int, budget: int) -> int:
    """The smallest page size whose walk to the end fits ``budget`` requests (at most 100)."""
    return min(MAX_PAGE_SIZE, max(1, math.ceil(total / budget)))


def straddling_size(total: int, block: int, smallest: int) -> int:
    """A page size from ``smallest`` to 100 at which the last ``block`` items of ``total`` are
    split over two pages (the largest such, else ``smallest``): items a run just created, in a
    server that lists in creation order, then span a page boundary, where offset pagination
    skips or repeats items when others are deleted between pages (PAGE-12)."""
    first, last = max(total - block, 0), max(total - 1, 0)
    return next(
        (size for size in range(MAX_PAGE_SIZE, smallest - 1, -1) if first // size != last // size),
        smallest,
    )
