"""What a walk of a paged list keeps: the query, its pages and their items, and texts that show ids.

Only what the checks need is kept: ids in order, the few fields a test asks for, and per page
its number, size, total and links. Memory stays flat however large the collection: the ids met
(PAGE-04) are kept as 64-bit digests (:class:`~conformance.checks.seen_ids.SeenSet`), and a walk made with
``retain=False`` keeps no page but the first and the latest, only counts and digests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.seen_ids import SeenSet
from conformance.contract.facts import DEFAULT_PAGE_SIZE

LINK_NAMES = ("first", "current", "previous", "next")
SHOWN_IDS = 8


@dataclass(frozen=True)
class Query:
    """What the first request asks for; links must keep it in force (PAGE-08)."""

    path: str
    page_size: int | None = None
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def size_in_force(self) -> int:
        """PAGE-01: the page size asked for, or the default."""
        return DEFAULT_PAGE_SIZE if self.page_size is None else self.page_size

    def params(self) -> list[tuple[str, str]]:
        sent = [] if self.page_size is None else [("page_size", str(self.page_size))]
        return sent + list(self.filters)

    def __str__(self) -> str:
        return f"GET {self.path}" + "".join(f" {name}={value!r}" for name, value in self.params())


@dataclass(frozen=True)
class Item:
    """One item of a page: its id and the fields a test asked to keep."""

    id: str
    fields: tuple[tuple[str, Any], ...] = ()

    def get(self, name: str) -> Any:
        return dict(self.fields).get(name)


@dataclass(frozen=True)
class Page:
    """What a page said about itself, and how it was reached."""

    url: str  # the URL requested, as sent
    via: str  # 'the first request' or 'next of page 2: <link>'
    number: int
    size: int
    total: int
    items: tuple[Item, ...]
    links: dict[str, str | None]

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]

    def describe(self) -> str:
        return f"page {self.number} (reached by {self.via})"


@dataclass
class Walk:
    """The pages of one walk, in the order visited (with ``retain=False``: the first and the latest)."""

    query: Query
    retain: bool = True
    pages: list[Page] = field(default_factory=list)
    page_count: int = 0  # pages visited, retained or not
    complete: bool = True  # False: stopped after max_pages with next still a link (a prefix)
    count: int = 0  # items visited
    seen: SeenSet = field(
        default_factory=SeenSet, repr=False
    )  # every id met, with the page it was first on

    def add(self, page: Page) -> None:
        if not self.retain and len(self.pages) == 2:
            self.pages[1] = page
        else:
            self.pages.append(page)
        self.page_count += 1
        self.count += len(page.items)

    @property
    def ids(self) -> list[str]:
        return [item.id for page in self._every_page() for item in page.items]

    @property
    def items(self) -> list[Item]:
        return [item for page in self._every_page() for item in page.items]

    @property
    def total(self) -> int:
        """The first page's total: the count the walk is held to (PAGE-04)."""
        return self.pages[0].total

    @property
    def last(self) -> Page:
        return self.pages[-1]

    def met(self, item_id: str) -> bool:
        """Whether the walk met this id on any page (retained or not)."""
        return item_id in self.seen

    def _every_page(self) -> list[Page]:
        if not self.retain:
            raise ValueError(
                f"The walk of {self.query} was made with retain=False: it kept counts and digests, not its items."
            )
        return self.pages


PageHook = Callable[[Page], None]


@dataclass(frozen=True)
class ItemFilter:
    """What every item of a filtered walk must satisfy, and whom to blame when one does not:
    on page 1 the filter itself (``first_page_rule``), later the links that lost it (PAGE-08)."""

    accept: Callable[[Item], bool]
    wanted: str  # for messages: 'with channel SMS'
    first_page_rule: str


def ids_text(ids: Sequence[str]) -> str:
    shown = ", ".join(repr(item_id) for item_id in ids[:SHOWN_IDS])
    return f"[{shown}{', ...' if len(ids) > SHOWN_IDS else ''}]"


def difference_text(expected: Sequence[str], received: Sequence[str]) -> str:
    """How ``received`` differs from ``expected``: where, and which ids came or went.

    Two long lists cut to their first ids can read alike while they differ further on; the
    difference itself is what a reader needs, and what tells two failures apart."""
    at = next(
        (i for i, (x, y) in enumerate(zip(expected, received, strict=False)) if x != y),
        min(len(expected), len(received)),
    )
    extra = [item for item in received if item not in set(expected)]
    gone = [item for item in expected if item not in set(received)]
    parts = [
        f"{len(received)} items against {len(expected)}, differing from position {at}: {ids_text(received[at : at + 3])} where {ids_text(expected[at : at + 3])} was expected"
    ]
    if extra:
        parts.append(f"not expected: {ids_text(extra)}")
    if gone:
        parts.append(f"missing: {ids_text(gone)}")
    return "; ".join(parts)
