"""Legal variants: servers that differ from the reference only where the contract leaves things open.

Each is the reference with one difference its section 9 allows (order, identifiers, token and
link forms, extra fields, other error codes and wording, case-insensitive names, clamping,
occasional 429, a path prefix). The suite must pass every one of them: a failure means the
suite asks for more than the contract does.

They are made in three ways: a store view that lists or checks differently, an ASGI wrapper
that rewrites the request on its way in, or one that rewrites the JSON answer on its way out.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.clock import utc_now_text
from conformance.reference.records import AudienceRecord, ContactRecord, NewContact
from conformance.reference.store import NameTaken, Store

from mutation.catalogue import legal_variant

EVERYTHING = 1_000_000
CONTRACT_CODES = frozenset({1301, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1309, 1353, 1354, 1355})
AUDIENCES = "/v1/audiences"

# -- parts: whole answers, rewritten on the way out ----------------------------------------


@dataclass
class Answer:
    """One whole response of the wrapped app."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def document(self) -> Any:
        """The JSON body, or None for an empty or non-JSON one."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    async def send(self, send: Send) -> None:
        headers = [
            (name, value) for name, value in self.headers if name.lower() != b"content-length"
        ]
        if self.status != 204:
            headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


async def answer_of(app: ASGIApp, scope: Scope, receive: Receive) -> Answer:
    answer = Answer(500, [], b"")
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status, answer.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    answer.body = b"".join(chunks)
    return answer


def rewrite_answers(app: ASGIApp, change: Callable[[Scope, Answer], None]) -> ASGIApp:
    """Let ``change`` edit every HTTP answer of ``app`` before it is sent."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        answer = await answer_of(app, scope, receive)
        change(scope, answer)
        await answer.send(send)

    return rewritten


def rewrite_json(app: ASGIApp, change: Callable[[Scope, Any], Any]) -> ASGIApp:
    """Let ``change`` replace the JSON document of every answer that has one."""

    def on_answer(scope: Scope, answer: Answer) -> None:
        document = answer.document()
        if document is not None:
            answer.body = json.dumps(change(scope, document)).encode()

    return rewrite_answers(app, on_answer)


def rewrite_scope(app: ASGIApp, change: Callable[[Scope], Scope]) -> ASGIApp:
    """Let ``change`` edit every HTTP request before ``app`` sees it."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        await app(change(scope) if scope["type"] == "http" else scope, receive, send)

    return rewritten


def error_answer(
    scope: Scope, status: int, code: int, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> Answer:
    """An error of the contract's envelope (ERR-01, ERR-02), made by a variant itself."""
    item = {
        "code": code,
        "message": message,
        "status": status,
        "timestamp": utc_now_text(),
        "path": scope["path"],
        "method": scope["method"],
    }
    return Answer(
        status,
        [(b"content-type", b"application/json"), *headers],
        json.dumps({"errors": [item]}).encode(),
    )


# -- parts: walking a JSON answer ------------------------------------------------------------

Json = Any


def items_of(document: Json) -> list[dict[str, Any]]:
    """The objects of a ``data`` answer: one audience, or a page of audiences or contacts."""
    data = document.get("data") if isinstance(document, dict) else None
    found = data if isinstance(data, list) else [data]
    return [item for item in found if isinstance(item, dict)]


def errors_of(document: Json) -> list[dict[str, Any]]:
    errors = document.get("errors") if isinstance(document, dict) else None
    return [item for item in errors if isinstance(item, dict)] if isinstance(errors, list) else []


def links_in(document: Json) -> list[dict[str, Any]]:
    """Every ``links`` object of an answer: the pagination's and each audience's."""
    pagination = document.get("pagination") if isinstance(document, dict) else None
    found = [pagination.get("links")] if isinstance(pagination, dict) else []
    found += [item.get("links") for item in items_of(document)]
    return [links for links in found if isinstance(links, dict)]


def edit_links(document: Json, edit: Callable[[str], str]) -> Json:
    for links in links_in(document):
        for name, link in links.items():
            if isinstance(link, str):
                links[name] = edit(link)
    return document


# -- parts: the store, seen differently ----------------------------------------------------


class StoreView:
    """The reference store, forwarding every method a subclass does not override."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def over(view: StoreView, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(cast(Store, view), keys)


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


class NewestFirst(StoreView):
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
    return over(NewestFirst(store), keys)


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


# -- identifiers: decimal numbers ------------------------------------------------------------

HEX_ID = re.compile(r"[0-9a-f]{32}")
DECIMAL_ID = re.compile(r"0|[1-9][0-9]{0,38}")
ID_IN_PATH = re.compile(r"(/v1/audiences/)([0-9a-f]{32})(?![A-Za-z0-9_-])")


def decimal_of(hex_id: str) -> str:
    return str(int(hex_id, 16))


def hex_of(decimal: str) -> str | None:
    """The reference's id for a decimal one this variant gave out; None for any other text."""
    if DECIMAL_ID.fullmatch(decimal) and int(decimal) < 2**128:
        return f"{int(decimal):032x}"
    return None


def ids_to_hex(scope: Scope) -> Scope:
    """The id segment of /v1/audiences/{id}[/contacts], as the reference knows it (raw and decoded)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    segments = raw.split(b"/")
    if (
        not raw.startswith(AUDIENCES.encode() + b"/")
        or (known := hex_of(segments[3].decode("latin-1"))) is None
    ):
        return scope
    head = f"{AUDIENCES}/{segments[3].decode()}"  # digits only, so the decoded path starts alike
    segments[3] = known.encode()
    path = f"{AUDIENCES}/{known}{scope['path'][len(head) :]}"
    return {**scope, "path": path, "raw_path": b"/".join(segments), "sent_path": scope["path"]}


def ids_written_as(convert: Callable[[str], str]) -> Callable[[Scope, Json], Json]:
    """An answer rewrite: every reference id (in items and links) written as ``convert`` makes it."""

    def rewrite(scope: Scope, document: Json) -> Json:
        for item in items_of(document):
            for name in ("id", "audience_id"):
                if isinstance(item.get(name), str) and HEX_ID.fullmatch(item[name]):
                    item[name] = convert(item[name])
        edit_links(
            document,
            lambda link: ID_IN_PATH.sub(
                lambda found: found.group(1) + convert(found.group(2)), link
            ),
        )
        for error in errors_of(document):
            error["path"] = scope.get("sent_path", scope["path"])  # the path as the client sent it
        return document

    return rewrite


ids_to_decimal = ids_written_as(decimal_of)


@legal_variant("identifiers are decimal numbers (up to 39 digits), for audiences and contacts")
def numeric_ids(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_scope(rewrite_json(create_app(store, keys), ids_to_decimal), ids_to_hex)


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


# -- rate limits: an occasional 429 ----------------------------------------------------------

EVERY_NTH = 7
LONGER_WAIT_EVERY = 20  # one 429 in twenty asks for a whole second


@legal_variant("every 7th request answers 429 with Retry-After 0 (or 1, one time in 20)")
def occasional_429(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    app = create_app(store, keys)
    counter = itertools.count(1)

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        number = next(counter) if scope["type"] == "http" else 0
        if not number or number % EVERY_NTH:
            return await app(scope, receive, send)
        wait = b"1" if number % (EVERY_NTH * LONGER_WAIT_EVERY) == 0 else b"0"
        await error_answer(
            scope, 429, 1429, "Too many requests; retry later.", [(b"retry-after", wait)]
        ).send(send)

    return limited


# -- page size: clamped, not refused ---------------------------------------------------------


def clamp_page_size(scope: Scope) -> Scope:
    """A decimal page_size over 100 is read as 100 (section 9 allows it; PAGE-10 is SHOULD)."""
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    clamped = [
        (
            name,
            "100"
            if name == "page_size" and value.isascii() and value.isdigit() and int(value) > 100
            else value,
        )
        for name, value in query
    ]
    return {**scope, "query_string": urlencode(clamped).encode()} if clamped != query else scope


@legal_variant("page sizes over 100 are clamped to 100 instead of refused")
def page_size_clamped(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_scope(create_app(store, keys), clamp_page_size)


# -- names: unique whatever their letter case -------------------------------------------------


class CaseInsensitiveNames(StoreView):
    """'Spring' and 'spring' are the same name within an account (VAL-1309 still per account)."""

    lock = threading.Lock()

    def _taken(self, account_id: str, name: str, other_than: str | None = None) -> bool:
        return any(
            row.name.casefold() == name.casefold() and row.id != other_than
            for row in self.store.list_audiences(account_id, None, 0, EVERYTHING)
        )

    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: Sequence[NewContact]
    ) -> AudienceRecord:
        with self.lock:
            if self._taken(account_id, name):
                raise NameTaken(name)
            return self.store.create_audience(account_id, name, channel, contacts)

    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        with self.lock:
            if (
                self._taken(account_id, name, other_than=audience_id)
                and self.store.get_audience(account_id, audience_id) is not None
            ):
                raise NameTaken(name)
            return self.store.rename_audience(account_id, audience_id, name)


@legal_variant("names are unique per account whatever their letter case")
def case_insensitive_names(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(CaseInsensitiveNames(store), keys)


# -- base URL: under a path prefix -----------------------------------------------------------

PREFIX = "/api"


@legal_variant(
    "the API lives under '/api': the base URL carries the prefix, and so do links",
    path_prefix=PREFIX,
)
def under_path_prefix(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    app = create_app(store, keys)

    async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/"):
            return await app(
                {**scope, "root_path": scope.get("root_path", "") + PREFIX}, receive, send
            )
        await error_answer(scope, 404, 1007, "No such route.").send(send)

    return mounted
