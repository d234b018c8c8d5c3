"""Keyset pagination shared by both collections: page size, position, page and links.

A page is "the items after seq P", fetched one item long to learn whether another page
follows. Positions only move forward through existing items, so an item present for a whole
walk is met exactly once however others come and go (PAGE-12).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from urllib.parse import urlencode

from conformance.reference.cursors import Cursor, CursorCodec, InvalidToken
from conformance.reference.errors import ApiError, Code

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# PAGE-10: plain ASCII decimal digits only ('+5', '1e2', ' 5', '٣' are refused).
_PAGE_SIZE_TEXT = re.compile(r"[0-9]{1,9}")


class Positioned(Protocol):
    @property
    def seq(self) -> int: ...


ItemT = TypeVar("ItemT", bound=Positioned)
ItemT_co = TypeVar("ItemT_co", bound=Positioned, covariant=True)


class PageSource(Protocol[ItemT_co]):
    """One filtered collection of one account, as the paginator reads it."""

    def rows(self, after_seq: int, limit: int) -> Sequence[ItemT_co]: ...

    def count(self) -> int: ...

    def seq_before(self, up_to_seq: int, skip: int) -> int | None: ...


@dataclass(frozen=True)
class PageQuery:
    """What the client asked for, normalized; a token is valid only for the same query."""

    path: str  # the collection's path below the API base, e.g. '/v1/audiences'
    account_id: str
    filters: tuple[tuple[str, str], ...]
    page_size: int


@dataclass(frozen=True)
class Position:
    after_seq: int
    number: int


FIRST_PAGE = Position(after_seq=0, number=1)


def parse_page_size(raw: str | None) -> int:
    """PAGE-10: absent means 20; anything but an integer from 1 to 100 is refused."""
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not _PAGE_SIZE_TEXT.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ApiError.one(
            400,
            Code.INVALID_PAGE_SIZE,
            f"'page_size' must be an integer from 1 to {MAX_PAGE_SIZE}.",
        )
    return int(raw)


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    pagination: dict[str, object]


class Paginator:
    """Turns a query, a token and a source into one page with its links."""

    def __init__(self, codec: CursorCodec) -> None:
        self._codec = codec

    def position(self, query: PageQuery, token: str | None) -> Position:
        """Where a token points; an empty token is the first page; PAGE-11: a bad one is a 400."""
        if not token:
            return FIRST_PAGE
        try:
            cursor = self._codec.decode(token)
        except InvalidToken:
            raise ApiError.one(
                400, Code.INVALID_PAGE_TOKEN, "'page_token' is not a valid page token."
            ) from None
        # PAGE-11, TEN-01: a token works only for the collection, account, filter and page size it was made for.
        if (cursor.collection, cursor.account_id, cursor.filters, cursor.page_size) != (
            query.path,
            query.account_id,
            query.filters,
            query.page_size,
        ):
            raise ApiError.one(
                400,
                Code.INVALID_PAGE_TOKEN,
                "'page_token' belongs to another query; follow the links of the page that gave it.",
            )
        if cursor.number < 1 or (cursor.number == 1) != (cursor.after_seq == 0):
            raise ApiError.one(
                400, Code.INVALID_PAGE_TOKEN, "'page_token' is not a valid page token."
            )
        return Position(cursor.after_seq, cursor.number)

    def page(
        self, query: PageQuery, position: Position, source: PageSource[ItemT], base_url: str
    ) -> Page[ItemT]:
        size = query.page_size
        rows = list(source.rows(position.after_seq, size + 1))
        items = rows[:size]  # PAGE-01: never more than the page size
        # PAGE-05: one extra row tells whether a next page exists, so a full last page has next null.
        next_position = Position(items[-1].seq, position.number + 1) if len(rows) > size else None
        # PAGE-08: every link keeps page_size and the normalized filters; PAGE-09: on the request's own origin.
        query_link = f"{base_url}{query.path}?{urlencode([('page_size', str(query.page_size)), *query.filters])}"
        links = {
            "first": self._link(query, FIRST_PAGE, query_link),  # PAGE-06: never null
            "current": self._link(query, position, query_link),  # PAGE-06: re-fetches this page
            # PAGE-03: the first page has no previous.
            "previous": None
            if position.number == 1
            else self._link(query, self._previous(position, size, source), query_link),
            "next": None if next_position is None else self._link(query, next_position, query_link),
        }
        # PAGE-01 size is the items here; PAGE-02 total counts every match now, filter included.
        return Page(
            items,
            {
                "number": position.number,
                "size": len(items),
                "total": source.count(),
                "links": links,
            },
        )

    @staticmethod
    def _previous(position: Position, size: int, source: PageSource[Positioned]) -> Position:
        """PAGE-06: page k-1 holds the ``size`` items up to this page's start, so it starts after the one before them."""
        if position.number <= 2:
            return FIRST_PAGE
        seq = source.seq_before(position.after_seq, size)
        return FIRST_PAGE if seq is None else Position(seq, position.number - 1)

    def _link(self, query: PageQuery, position: Position, query_link: str) -> str:
        """The link to ``position``: the query's own link (the first page) plus a token."""
        if position == FIRST_PAGE:
            return query_link
        cursor = Cursor(
            query.path,
            query.account_id,
            query.filters,
            query.page_size,
            position.after_seq,
            position.number,
        )
        # A token is base64url and '.', characters a query keeps as they are.
        return f"{query_link}&page_token={self._codec.encode(cursor)}"
