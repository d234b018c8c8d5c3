"""Walking a paged collection as a client would, and the per-page rules checked on the way.

The walker starts at the first page and follows ``next`` until it is null, resolving each
link against the page that gave it (``Target.follow``). Before following a link it checks
that the link stays on the target (PAGE-09); the request path refuses anything else too.
A server that links forever cannot hang a run: the walk stops at a page already visited, or
after a bound derived from the first page's ``total`` and the page size (:mod:`conformance.paging`),
never a fixed page count. A walk may also stop on purpose after ``max_pages`` (a bounded prefix).

A :class:`Walk` keeps only what the checks need: ids in order, the few fields a test asks
for, and per page its number, size, total and links. Per-page rules raise
:class:`~conformance.violations.RuleViolation` at once, naming the page and the link
followed; whole-walk rules are in :mod:`conformance.walk_checks`.

Memory stays flat however large the collection: the ids met (PAGE-04) and the pages visited
(the cycle check) are kept as 64-bit digests (:class:`~conformance.seen.SeenSet`), and a walk
made with ``retain=False`` keeps no page but the first and the latest, only counts and digests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import requests

from conformance.adapter import Origin
from conformance.client import body_of
from conformance.errors import OffTargetError
from conformance.facts import CHANNELS, DEFAULT_PAGE_SIZE
from conformance.paging import (
    page_bound,
)
from conformance.seen import SeenSet
from conformance.target import Target
from conformance.violations import RuleViolation, check

LINK_NAMES = ("first", "current", "previous", "next")
# The rule a malformed link of each kind breaks.
LINK_RULES = {"first": "PAGE-06", "current": "PAGE-06", "previous": "PAGE-03", "next": "PAGE-05"}
# The rules a walk checks page by page; every test that walks declares them.
WALK_RULES = ("PAGE-01", "PAGE-03", "PAGE-04", "PAGE-05", "PAGE-06", "PAGE-08", "PAGE-09")
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
    _check_page(target, result, page, response, stable=stable, matching=matching)
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
        _check_page(target, result, page, response, stable=stable, matching=matching)
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


def resolve_link(target: Target, page: Page, name: str) -> str:
    """A link of ``page`` resolved as a client would; PAGE-09 unless it stays on the target, then
    the rule of its kind (:data:`LINK_RULES`) unless it is an absolute URL or an absolute path."""
    link = page.links.get(name)
    if link is None:
        raise RuleViolation(
            "PAGE-06", expected=f"a '{name}' link", received="null", context=page.describe()
        )
    url = target.follow(link, relative_to=page.url)
    origin = Origin.of(url)
    check(
        origin == target.policy.origin,
        "PAGE-09",
        expected=f"links on the target's own scheme, host and port ({target.policy.origin})",
        received=f"'{name}' of {page.describe()} is {link!r}, which resolves to {origin}",
    )
    check(
        is_absolute_link(link),
        LINK_RULES[name],
        expected=f"links.{name} an absolute URL or an absolute path (section 4)",
        received=f"'{name}' of {page.describe()} is {link!r}, a relative reference",
    )
    return url


def fetch(target: Target, url: str, *, link: str) -> requests.Response:
    """GET a resolved link; the request path's own refusal of another origin is PAGE-09 too."""
    try:
        return target.get(url)
    except OffTargetError as error:
        raise RuleViolation(
            "PAGE-09",
            expected="links on the target's own origin",
            received=f"the link {link!r} was refused by the request path: {error}",
        ) from None


def read_page(response: requests.Response, *, via: str, keep: Sequence[str] = ()) -> Page:
    """The page a 200 response holds, with the shape each pagination rule needs."""
    body = body_of(response)
    context = f"the page reached by {via}"
    data = body.get("data") if isinstance(body, dict) else None
    pagination = body.get("pagination") if isinstance(body, dict) else None
    check(
        isinstance(data, list),
        "PAGE-01",
        expected="a 'data' array",
        received=_short(body),
        response=response,
        context=context,
    )
    check(
        isinstance(pagination, dict),
        "PAGE-01",
        expected="a 'pagination' object",
        received=_short(body),
        response=response,
        context=context,
    )
    assert isinstance(data, list) and isinstance(pagination, dict)
    items = []
    for position, raw in enumerate(data):
        has_id = isinstance(raw, dict) and isinstance(raw.get("id"), str)
        check(
            has_id,
            "PAGE-04",
            expected="items with a string 'id' (to tell them apart)",
            received=f"item {position}: {_short(raw)}",
            response=response,
            context=context,
        )
        items.append(Item(raw["id"], tuple((name, raw.get(name)) for name in keep)))
    number, size, total, links = (
        pagination.get(name) for name in ("number", "size", "total", "links")
    )
    check(
        _is_int(size),
        "PAGE-01",
        expected="an integer pagination.size",
        received=_short(size),
        response=response,
        context=context,
    )
    check(
        _is_int(total) and total >= 0,
        "PAGE-02",
        expected="an integer pagination.total >= 0",
        received=_short(total),
        response=response,
        context=context,
    )
    check(
        _is_int(number),
        "PAGE-03",
        expected="an integer pagination.number",
        received=_short(number),
        response=response,
        context=context,
    )
    check(
        isinstance(links, dict),
        "PAGE-06",
        expected="a pagination.links object",
        received=_short(links),
        response=response,
        context=context,
    )
    assert _is_int(number) and _is_int(size) and _is_int(total) and isinstance(links, dict)
    for name, rule in LINK_RULES.items():
        value = links.get(name)
        nullable = name in ("previous", "next")  # PAGE-06: first and current are never null
        is_link = isinstance(value, str) and value != ""
        check(
            is_link or (nullable and value is None),
            rule,
            expected=f"links.{name} a link" + (" or null" if nullable else ""),
            received=_short(value),
            response=response,
            context=context,
        )
    return Page(
        response.url,
        via,
        number,
        size,
        total,
        tuple(items),
        {name: links.get(name) for name in LINK_NAMES},
    )


def is_absolute_link(link: str) -> bool:
    """Section 4: a link is an absolute URL (``http://host/...``) or an absolute path (``/...``).
    A relative reference (``?page_token=x``, ``audiences?...``, ``//host/...``) means something
    else to a client that resolves it against another URL than the page's, so it is refused."""
    try:
        parts = urlsplit(link)
    except ValueError:  # an unclosed '[' of an IPv6 host: no URL at all
        return False
    if parts.scheme:
        return bool(parts.netloc)
    return not parts.netloc and link.startswith("/")


def _check_filter_kept(
    target: Target, query: Query, page: Page, response: requests.Response
) -> None:
    """A total that changed behind a link of a filtered walk: when it is the unfiltered query's
    total, the link lost the filter (PAGE-08), which is the fault to name, not the total (PAGE-04)."""
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
        received=f"total {page.total} on {page.describe()}, the total of the query without its filter",
        response=response,
        context=str(query),
    )


def _check_page(
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
        _check_filter_kept(target, query, page, response)
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


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int  # not bool: JSON true is no page number


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


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
