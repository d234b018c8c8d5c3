"""Legal variants: servers that differ from the reference only where the contract leaves things open.

Each is the reference with one difference its section 9 allows (here: order, link forms, extra
fields, page tokens, other error codes and wording, optional fields, media type parameters; more
in :mod:`mutation.variants_order_and_ids` and :mod:`mutation.variants_limits`). The suite must
pass every one of them: a failure means the suite asks for more than the contract does.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping, Sequence
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.types import ASGIApp, Scope

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord, ContactRecord
from conformance.reference.store import Store
from mutation.catalogue import legal_variant
from mutation.toolkit.answers import Answer, rewrite_answers, rewrite_json, rewrite_scope
from mutation.toolkit.documents import Json, edit_links, errors_of, items_of
from mutation.toolkit.stores import EVERYTHING, StoreProxy, over

# -- order: newest first ---------------------------------------------------------------------

Record = TypeVar("Record", AudienceRecord, ContactRecord)
# A newest-first position counts down from TOP: an item at seq s sits at position TOP - s, so
# the reference's keyset paginator ("the items after position p, ascending") walks newest first.
TOP = 2**62


def newest_first(rows: Sequence[Record], after: int, limit: int) -> list[Record]:
    """``rows`` (oldest first) as positions counting down from TOP, those after ``after``."""
    positioned = [row._replace(seq=TOP - row.seq) for row in reversed(rows)]
    return [row for row in positioned if row.seq > after][:limit]


def position_before(rows: Sequence[Record], up_to: int, skip: int) -> int | None:
    """The position ``skip`` items back from ``up_to`` (inclusive), newest-first positions."""
    earlier = [
        TOP - row.seq for row in rows if TOP - row.seq <= up_to
    ]  # oldest first: positions descending
    return earlier[skip] if skip < len(earlier) else None


class NewestFirst(StoreProxy):
    """Audiences and contacts listed newest first, still by keyset (PAGE-04, PAGE-07, PAGE-12 hold).

    Each page reads the whole collection and reverses it: plain to check, and quick enough for
    the few hundred items a run creates.
    """

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        return newest_first(
            self.store.list_audiences(account_id, channel, 0, EVERYTHING), after_seq, limit
        )

    def audience_seq_before(
        self, account_id: str, channel: str | None, up_to_seq: int, skip: int
    ) -> int | None:
        return position_before(
            self.store.list_audiences(account_id, channel, 0, EVERYTHING), up_to_seq, skip
        )

    def list_contacts(
        self, account_id: str, audience_id: str, search: str | None, after_seq: int, limit: int
    ) -> list[ContactRecord]:
        return newest_first(
            self.store.list_contacts(account_id, audience_id, search, 0, EVERYTHING),
            after_seq,
            limit,
        )

    def contact_seq_before(
        self, account_id: str, audience_id: str, search: str | None, up_to_seq: int, skip: int
    ) -> int | None:
        return position_before(
            self.store.list_contacts(account_id, audience_id, search, 0, EVERYTHING),
            up_to_seq,
            skip,
        )


@legal_variant(
    "lists audiences and contacts newest first (keyset pagination over a descending order)"
)
def newest_first_order(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(NewestFirst, store, keys)


# -- links: absolute paths, extra query parameters -------------------------------------------


def as_path(link: str) -> str:
    parts = urlsplit(link)
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


@legal_variant("links are absolute paths ('/v1/audiences?...'), not absolute URLs")
def relative_links(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_json(
        create_app(store, keys), lambda scope, document: edit_links(document, as_path)
    )


def with_extra_parameters(link: str) -> str:
    parts = urlsplit(link)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        ("include", "all"),
        ("api_version", "2026-01"),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_extra_fields(scope: Scope, document: Json) -> Json:
    """Fields the contract does not name, in every object of the answer (AUD-01 allows them)."""
    if not isinstance(document, dict):
        return document
    document["meta"] = {"request_id": secrets.token_hex(8), "api_version": "2026-01"}
    for item in items_of(document):
        item.update({"description": None, "tags": ["imported"], "status": "ACTIVE", "version": 3})
    pagination = document.get("pagination")
    if isinstance(pagination, dict):
        pagination["has_more"] = (
            isinstance(pagination.get("links"), dict)
            and pagination["links"].get("next") is not None
        )
        if isinstance(pagination.get("links"), dict):
            pagination["links"]["self"] = pagination["links"].get("current")
    for error in errors_of(document):
        error.update(
            {
                "trace_id": secrets.token_hex(8),
                "documentation_url": "https://developers.example.com/errors",
            }
        )
    return edit_links(document, with_extra_parameters)


@legal_variant("extra fields in every object and extra query parameters in every link")
def extra_fields_and_link_parameters(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_json(create_app(store, keys), with_extra_fields)


# -- page tokens: short handles kept by the server -------------------------------------------


class TokenTable:
    """Short random handles standing for the reference's page tokens."""

    def __init__(self) -> None:
        self.real: dict[str, str] = {}
        self.handle: dict[str, str] = {}
        self.lock = threading.Lock()

    def shorten(self, token: str) -> str:
        with self.lock:
            if token not in self.handle:
                handle = "p" + secrets.token_urlsafe(9)
                self.handle[token], self.real[handle] = handle, token
            return self.handle[token]

    def shorten_in(self, link: str) -> str:
        parts = urlsplit(link)
        query = [
            (name, self.shorten(value) if name == "page_token" else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def expand_in(self, scope: Scope) -> Scope:
        """A handle this table gave out becomes the real token; anything else goes on as sent."""
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if not any(name == "page_token" and value in self.real for name, value in query):
            return scope
        expanded = [
            (name, self.real[value] if name == "page_token" and value in self.real else value)
            for name, value in query
        ]
        return {**scope, "query_string": urlencode(expanded).encode()}


@legal_variant("page tokens are short random handles the server looks up")
def short_page_tokens(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    table = TokenTable()
    answers = rewrite_json(
        create_app(store, keys), lambda scope, document: edit_links(document, table.shorten_in)
    )
    return rewrite_scope(answers, table.expand_in)


# -- errors: other codes and wording where section 6 names none ------------------------------

CONTRACT_CODES = frozenset({1301, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1309, 1353, 1354, 1355})


def own_codes_and_wording(scope: Scope, document: Json) -> Json:
    for error in errors_of(document):
        if error.get("code") not in CONTRACT_CODES:
            error["code"] = 40_000 + int(error.get("status") or 0)
        error["message"] = "Die Anfrage wurde abgelehnt."  # messages are for people, in any words
    return document


@legal_variant(
    "its own codes for errors section 6 does not name (auth, page size, 405...), and its own messages"
)
def own_error_codes_and_messages(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_json(create_app(store, keys), own_codes_and_wording)


# -- optional fields and media type parameters -----------------------------------------------


def without_optional_fields(scope: Scope, document: Json) -> Json:
    for item in items_of(document):
        if "channel" in item:  # an audience: contacts_count and links are optional (AUD-01)
            item.pop("contacts_count", None)
            item.pop("links", None)
    return document


@legal_variant("audiences carry neither contacts_count nor links (both optional)")
def optional_fields_omitted(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_json(create_app(store, keys), without_optional_fields)


def with_charset(scope: Scope, answer: Answer) -> None:
    answer.headers = [
        (
            name,
            b"application/json; charset=utf-8"
            if name.lower() == b"content-type" and value == b"application/json"
            else value,
        )
        for name, value in answer.headers
    ]


@legal_variant("JSON answers say 'application/json; charset=utf-8'")
def json_with_charset(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_answers(create_app(store, keys), with_charset)
