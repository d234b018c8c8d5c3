"""Mutants of error codes, auth, tenancy, lifecycle and robustness: each breaks one rule.

Each is the reference with one realistic fault, made in one of two ways: :class:`Rewrite`,
an ASGI middleware that sees the whole request and the whole answer and changes one of them
(or answers itself), or a :class:`StoreProxy` whose store misbehaves in one method.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.clock import DATE_FORMAT, utc_now_text
from conformance.reference.records import AudienceRecord, NewContact
from conformance.reference.store import NameTaken, Store

from mutation.catalogue import mutant

KEY_HEADER = b"x-dexatel-key"
CHANNELS = ("SMS", "VIBER", "WHATSAPP")
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# -- machinery -----------------------------------------------------------------------------


@dataclass
class Exchange:
    """A request as a mutant sees it: the ASGI scope (changeable) and the whole body."""

    scope: dict[str, Any]
    body: bytes

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def segments(self) -> list[str]:
        """The decoded path's segments after /v1/audiences ('' for none)."""
        path = str(self.scope["path"])
        return path.split("/")[3:] if path.startswith("/v1/audiences") else []

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.scope["headers"] if key.lower() == name), None)

    def set_header(self, name: bytes, value: bytes) -> None:
        self.scope["headers"] = [
            (key, old) for key, old in self.scope["headers"] if key.lower() != name
        ] + [(name, value)]

    def json(self) -> Any:
        """The request's JSON document; None for a body that is not one, or too deeply nested to
        parse (the reference behind refuses it with its own answer)."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def data(self) -> dict[str, Any]:
        """The body's ``data`` object ({} when there is none)."""
        document = self.json()
        data = document.get("data") if isinstance(document, dict) else None
        return data if isinstance(data, dict) else {}

    def set_data(self, data: dict[str, Any]) -> None:
        self.body = json.dumps({"data": data}).encode()
        self.set_header(b"content-length", str(len(self.body)).encode())


@dataclass
class Answer:
    """A whole response: status, headers and body, changeable before it is sent."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def set_header(self, name: bytes, value: bytes | None) -> None:
        self.headers = [(key, old) for key, old in self.headers if key.lower() != name]
        if value is not None:
            self.headers.append((name, value))

    def json(self) -> Any:
        """The request's JSON document; None for a body that is not one, or too deeply nested to
        parse (the reference behind refuses it with its own answer)."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def set_json(self, document: Any) -> None:
        self.body = json.dumps(document).encode()

    def codes(self) -> list[int]:
        document = self.json()
        errors = document.get("errors", []) if isinstance(document, dict) else []
        return [
            item["code"]
            for item in errors
            if isinstance(item, dict) and isinstance(item.get("code"), int)
        ]

    def recode(self, old: int, new: int) -> None:
        """Replace the error code ``old`` by ``new``."""
        document = self.json()
        for item in document.get("errors", []):
            if item.get("code") == old:
                item["code"] = new
        self.set_json(document)

    def audiences(self) -> list[dict[str, Any]]:
        """The audience objects of a ``data`` answer (one, or a page of them)."""
        document = self.json()
        data = document.get("data") if isinstance(document, dict) else None
        items = data if isinstance(data, list) else [data]
        return [item for item in items if isinstance(item, dict) and "channel" in item]

    async def send(self, send: Send) -> None:
        headers = [(key, value) for key, value in self.headers if key.lower() != b"content-length"]
        if self.body or self.status not in (204, 304):
            headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def envelope(
    exchange: Exchange,
    status: int,
    code: int,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Answer:
    """An error answer of the contract's shape, made by the mutant itself."""
    item = {
        "code": code,
        "message": message,
        "status": status,
        "timestamp": utc_now_text(),
        "path": exchange.scope["path"],
        "method": exchange.method,
    }
    return Answer(
        status,
        [(b"content-type", b"application/json"), *(headers or [])],
        json.dumps({"errors": [item]}).encode(),
    )


OnRequest = Callable[[Exchange], Answer | None]
OnAnswer = Callable[[Exchange, Answer], None]


class Rewrite:
    """ASGI middleware: ``on_request`` may change the request or answer it; ``on_answer`` may change the answer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        on_request: OnRequest | None = None,
        on_answer: OnAnswer | None = None,
    ) -> None:
        self.app = app
        self.on_request = on_request
        self.on_answer = on_answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(dict(scope), await whole_body(receive))
        answer = self.on_request(exchange) if self.on_request else None
        if answer is None:
            answer = await self._answer(exchange, receive)
        if self.on_answer:
            self.on_answer(exchange, answer)
        await answer.send(send)

    async def _answer(self, exchange: Exchange, receive: Receive) -> Answer:
        answer = Answer(500, [], b"")

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status, answer.headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")

        await self.app(exchange.scope, replaying(exchange.body, receive), capture)
        return answer


async def whole_body(receive: Callable[[], Awaitable[Message]]) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then what the client sends next."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def edit_field(name: str, change: Callable[[Any], Any]) -> Callable[[Exchange], None]:
    """An ``on_request`` hook that hands the request's ``data.<name>`` to ``change`` and sends on
    what it returns instead, or the request untouched when it returns None."""

    def edit(exchange: Exchange) -> None:
        data = exchange.data()
        changed = change(data.get(name))
        if changed is not None:
            data[name] = changed
            exchange.set_data(data)

    return edit


def account_of(exchange: Exchange, keys: Mapping[str, str]) -> str | None:
    key = exchange.header(KEY_HEADER)
    return keys.get(key.decode("latin-1")) if key is not None else None


class StoreProxy:
    """The reference's store, forwarding every method a subclass does not override."""

    def __init__(self, store: Store, keys: Mapping[str, str]) -> None:
        self.store = store
        self.accounts = sorted(set(keys.values()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def over(proxy: type[StoreProxy], store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """The reference over ``proxy(store)``."""
    app: ASGIApp = create_app(cast(Store, proxy(store, keys)), keys)
    return app


# -- VAL-00 and the code table ----------------------------------------------------------------


@mutant("VAL-00", "every validation error answers the generic code 1000 (right status, wrong code)")
def generic_validation_code(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def generic(exchange: Exchange, answer: Answer) -> None:
        for code in answer.codes():
            if 1302 <= code <= 1399:
                answer.recode(code, 1000)

    return Rewrite(create_app(store, keys), on_answer=generic)


@mutant("VAL-1301", "an unknown id answers 400 code 1302, as if it were malformed")
def unknown_id_as_malformed(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def as_malformed(exchange: Exchange, answer: Answer) -> None:
        if answer.status == 404 and 1301 in answer.codes():
            answer.status = 400
            answer.recode(1301, 1302)

    return Rewrite(create_app(store, keys), on_answer=as_malformed)


@mutant(
    "VAL-1301", "a get of an unknown id answers 200 {'data': null} (update and delete answer 404)"
)
def unknown_id_found_empty(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def as_found(exchange: Exchange, answer: Answer) -> None:
        if (
            exchange.method == "GET"
            and len(exchange.segments) == 1
            and answer.status == 404
            and 1301 in answer.codes()
        ):
            answer.status = 200
            answer.set_json({"data": None})

    return Rewrite(create_app(store, keys), on_answer=as_found)


@mutant("VAL-1302", "ids over 64 characters are looked up anyway (404 code 1301)")
def long_ids_looked_up(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def shorten(exchange: Exchange) -> None:
        segments = exchange.segments
        if segments and re.fullmatch(r"[A-Za-z0-9_-]{65,}", segments[0]):
            rest = "/".join(["", "v1", "audiences", "0" * 32, *segments[1:]])
            exchange.scope["path"], exchange.scope["raw_path"] = rest, rest.encode()

    return Rewrite(create_app(store, keys), on_request=shorten)


@mutant("VAL-1303", "a null or empty name answers code 1304, as a name of the wrong form")
def empty_name_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def recode(exchange: Exchange, answer: Answer) -> None:
        if 1303 in answer.codes() and exchange.data().get("name", 0) in (None, ""):
            answer.recode(1303, 1304)

    return Rewrite(create_app(store, keys), on_answer=recode)


@mutant("VAL-1304", "letters outside ASCII are accepted in names (checked with str.isalnum)")
def non_ascii_letters_accepted(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def transliterate(name: Any) -> str | None:
        if (
            isinstance(name, str)
            and not name.isascii()
            and all(c.isalnum() or c in "-_" for c in name)
        ):
            return "".join(c if c.isascii() else "x" for c in name)
        return None

    return Rewrite(create_app(store, keys), on_request=edit_field("name", transliterate))


@mutant("VAL-1305", "name limit off by one: 46 characters accepted")
def name_limit_off_by_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def cut(name: Any) -> str | None:
        return name[:45] if isinstance(name, str) and len(name) == 46 else None

    return Rewrite(create_app(store, keys), on_request=edit_field("name", cut))


@mutant("VAL-1306", "a missing channel answers code 1307, as an invalid one")
def missing_channel_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=lambda exchange, answer: (
            answer.recode(1306, 1307) if 1306 in answer.codes() else None
        ),
    )


@mutant("VAL-1307", "channels are matched case-insensitively: 'sms' is accepted")
def channel_case_insensitive(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def upper(channel: Any) -> str | None:
        return (
            channel.upper()
            if isinstance(channel, str) and channel.upper() in CHANNELS and channel not in CHANNELS
            else None
        )

    return Rewrite(create_app(store, keys), on_request=edit_field("channel", upper))


@mutant("VAL-1308", "contacts limit off by one: 11 contacts accepted")
def contacts_limit_off_by_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def drop_eleventh(contacts: Any) -> list[Any] | None:
        return contacts[:10] if isinstance(contacts, list) and len(contacts) == 11 else None

    return Rewrite(create_app(store, keys), on_request=edit_field("contacts", drop_eleventh))


@mutant("VAL-1309", "a taken name answers 400 instead of 409")
def taken_name_as_400(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def bad_request(exchange: Exchange, answer: Answer) -> None:
        if answer.status == 409:
            answer.status = 400

    return Rewrite(create_app(store, keys), on_answer=bad_request)


@mutant("VAL-1353", "a contact without number answers code 1354, as a number of the wrong form")
def missing_number_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=lambda exchange, answer: (
            answer.recode(1353, 1354) if 1353 in answer.codes() else None
        ),
    )


@mutant("VAL-1354", "contact numbers are never checked against '+' and 7 to 15 digits")
def numbers_unchecked(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def accept(exchange: Exchange) -> None:
        data = exchange.data()
        contacts = data.get("contacts")
        if not isinstance(contacts, list):
            return
        for contact in contacts:
            number = contact.get("number") if isinstance(contact, dict) else None
            if (
                isinstance(number, str)
                and number
                and len(number) <= 45
                and not re.fullmatch(r"\+[0-9]{7,15}", number)
            ):
                contact["number"] = "+1000000"
        exchange.set_data(data)

    return Rewrite(create_app(store, keys), on_request=accept)


@mutant(
    "VAL-1355", "a number over 45 characters answers code 1354 (its length is not checked first)"
)
def long_number_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=lambda exchange, answer: (
            answer.recode(1355, 1354) if 1355 in answer.codes() else None
        ),
    )


def stored_when_refused(
    store: Store, keys: Mapping[str, str], name_of: Callable[[Any], str | None]
) -> OnAnswer:
    """An ``on_answer`` hook: a create refused for a too-long name stores an audience all the same,
    named ``name_of(the name sent)`` (nothing when it returns None)."""

    def store_anyway(exchange: Exchange, answer: Answer) -> None:
        data, account = exchange.data(), account_of(exchange, keys)
        kept = name_of(data.get("name"))
        if (
            exchange.method == "POST"
            and not exchange.segments
            and 1305 in answer.codes()
            and account
            and kept
        ):
            channel = data.get("channel") if data.get("channel") in CHANNELS else "SMS"
            try:
                store.create_audience(account, kept, str(channel), ())
            except NameTaken:
                pass

    return store_anyway


@mutant("VAL-01", "a create refused for a too-long name has stored it anyway, cut to 45 characters")
def refused_create_stored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=stored_when_refused(
            store, keys, lambda name: name[:45] if isinstance(name, str) else None
        ),
    )


@mutant("VAL-01", "a rename refused for a forbidden character is applied without that character")
def refused_rename_applied(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def rename_anyway(exchange: Exchange, answer: Answer) -> None:
        name, account = exchange.data().get("name"), account_of(exchange, keys)
        if (
            exchange.method == "PUT"
            and 1304 in answer.codes()
            and account
            and isinstance(name, str)
            and exchange.segments
        ):
            cleaned = re.sub(r"[^A-Za-z0-9_-]", "", name)[:45]
            try:
                if cleaned:
                    store.rename_audience(account, exchange.segments[0], cleaned)
            except NameTaken:
                pass

    return Rewrite(create_app(store, keys), on_answer=rename_anyway)


# -- AUTH-01 ---------------------------------------------------------------------------------


@mutant("AUTH-01", "a body that is not JSON answers 400 before the key is checked")
def json_checked_before_auth(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def parse_first(exchange: Exchange) -> Answer | None:
        if exchange.method in ("POST", "PUT") and exchange.body.strip() and exchange.json() is None:
            return envelope(exchange, 400, 1000, "The body is not valid JSON.")
        return None

    return Rewrite(create_app(store, keys), on_request=parse_first)


@mutant("AUTH-01", "an empty key is taken as the first account's")
def empty_key_accepted(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    first = next(iter(keys)).encode()

    def default_key(exchange: Exchange) -> None:
        key = exchange.header(KEY_HEADER)
        if key is not None and not key.strip():
            exchange.set_header(KEY_HEADER, first)

    return Rewrite(create_app(store, keys), on_request=default_key)


@mutant("AUTH-01", "keys are compared on their first 16 characters only")
def key_prefix_compared(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def by_prefix(exchange: Exchange) -> None:
        presented = (exchange.header(KEY_HEADER) or b"").decode("latin-1")
        match = next(
            (key for key in keys if len(presented) >= 16 and key[:16] == presented[:16]), None
        )
        if match is not None:
            exchange.set_header(KEY_HEADER, match.encode())

    return Rewrite(create_app(store, keys), on_request=by_prefix)


@mutant("AUTH-01", "a malformed id answers 400 code 1302 before the key is checked")
def id_checked_before_auth(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def check_id_first(exchange: Exchange) -> Answer | None:
        segments = exchange.segments
        if segments and not WELL_FORMED_ID.fullmatch(segments[0]):
            return envelope(exchange, 400, 1302, "The audience id is malformed.")
        return None

    return Rewrite(create_app(store, keys), on_request=check_id_first)


# -- TEN-01, TEN-02 --------------------------------------------------------------------------


@mutant("TEN-01", "another account's audience answers 403, revealing that it exists")
def forbidden_instead_of_not_found(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    accounts = sorted(set(keys.values()))

    def forbid(exchange: Exchange, answer: Answer) -> None:
        segments = exchange.segments
        if answer.status == 404 and segments and WELL_FORMED_ID.fullmatch(segments[0]):
            if any(store.get_audience(account, segments[0]) for account in accounts):
                answer.status = 403
                answer.recode(1301, 1010)

    return Rewrite(create_app(store, keys), on_answer=forbid)


class EveryAccountListed(StoreProxy):
    """The query operation forgets the account: every account's audiences are listed and counted."""

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        rows = [
            row
            for account in self.accounts
            for row in self.store.list_audiences(account, channel, after_seq, limit)
        ]
        return sorted(rows, key=lambda row: row.seq)[:limit]

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return sum(self.store.count_audiences(account, channel) for account in self.accounts)


@mutant("TEN-01", "the query operation lists and counts every account's audiences")
def every_account_listed(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(EveryAccountListed, store, keys)


class AnyAccountGets(StoreProxy):
    """Get, and so the contacts query, finds an audience whatever account owns it."""

    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        return next(
            (
                found
                for account in [account_id, *self.accounts]
                if (found := self.store.get_audience(account, audience_id))
            ),
            None,
        )


@mutant("TEN-01", "get finds an audience of any account")
def any_account_gets(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(AnyAccountGets, store, keys)


class NamesUniqueEverywhere(StoreProxy):
    """A name taken in any account is taken for all."""

    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: Any
    ) -> AudienceRecord:
        for account in self.accounts:
            if any(
                row.name == name for row in self.store.list_audiences(account, None, 0, 1_000_000)
            ):
                raise NameTaken(name)
        return self.store.create_audience(account_id, name, channel, contacts)


@mutant("TEN-02", "names are unique across all accounts, not per account")
def names_unique_everywhere(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(NamesUniqueEverywhere, store, keys)


# -- CRUD, DATE ------------------------------------------------------------------------------


class UncountedCreate(StoreProxy):
    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: tuple[NewContact, ...]
    ) -> AudienceRecord:
        return self.store.create_audience(account_id, name, channel, contacts)._replace(
            contacts_count=0
        )


@mutant("CRUD-01", "create answers contacts_count 0 whatever contacts were sent")
def uncounted_create(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(UncountedCreate, store, keys)


class UncountedGet(StoreProxy):
    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        found = self.store.get_audience(account_id, audience_id)
        return found._replace(contacts_count=0) if found else None


@mutant("CRUD-02", "get does not count contacts (contacts_count 0)")
def uncounted_get(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(UncountedGet, store, keys)


class StaleRename(StoreProxy):
    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        before = self.store.get_audience(account_id, audience_id)
        return before if self.store.rename_audience(account_id, audience_id, name) else None


@mutant("CRUD-03", "update renames, but answers the audience as it was before")
def stale_rename(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(StaleRename, store, keys)


class StillUpdateDate(StoreProxy):
    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        before = self.store.get_audience(account_id, audience_id)
        after = self.store.rename_audience(account_id, audience_id, name)
        return after._replace(update_date=before.update_date) if after and before else after


@mutant("CRUD-04", "update answers the previous update_date")
def still_update_date(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(StillUpdateDate, store, keys)


class SoftDelete(StoreProxy):
    """Delete marks an audience gone for get, update and delete; the list query was not told."""

    def __init__(self, store: Store, keys: Mapping[str, str]) -> None:
        super().__init__(store, keys)
        self.deleted: set[str] = set()

    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        return (
            None
            if audience_id in self.deleted
            else self.store.get_audience(account_id, audience_id)
        )

    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        return (
            None
            if audience_id in self.deleted
            else self.store.rename_audience(account_id, audience_id, name)
        )

    def delete_audience(self, account_id: str, audience_id: str) -> bool:
        if audience_id in self.deleted or self.store.get_audience(account_id, audience_id) is None:
            return False
        self.deleted.add(audience_id)
        return True


def _refuse_the_list(keys: Mapping[str, str]) -> OnRequest:
    def refuse(exchange: Exchange) -> Answer | None:
        listing = (
            exchange.method in ("GET", "HEAD")
            and str(exchange.scope["path"]).rstrip("/") == "/v1/audiences"
        )
        if listing and account_of(exchange, keys) is not None:
            return envelope(exchange, 404, 1301, "Not found.")
        return None

    return refuse


@mutant(
    "PAGE-04",
    "the query operation answers 404 with the error envelope to a valid key (401 without one): a refused list",
)
def list_refused_with_404(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(create_app(store, keys), on_request=_refuse_the_list(keys))


@mutant("CRUD-05", "delete is soft: gone for get, update and delete, still listed")
def soft_delete(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(SoftDelete, store, keys)


def _each_audience(edit: Callable[[dict[str, Any]], None]) -> OnAnswer:
    def apply(exchange: Exchange, answer: Answer) -> None:
        audiences = answer.audiences()
        if audiences:
            document = answer.json()
            data = document["data"]
            for item in data if isinstance(data, list) else [data]:
                if isinstance(item, dict) and "channel" in item:
                    edit(item)
            answer.set_json(document)

    return apply


@mutant("DATE-01", "dates are written ISO 8601 style, with a 'T'")
def dates_with_t(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def iso(item: dict[str, Any]) -> None:
        for name in ("create_date", "update_date"):
            item[name] = str(item[name]).replace(" ", "T")

    return Rewrite(create_app(store, keys), on_answer=_each_audience(iso))


@mutant("DATE-02", "dates are the local time of UTC+04:00, labelled UTC")
def dates_in_local_time(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def shift(item: dict[str, Any]) -> None:
        for name in ("create_date", "update_date"):
            item[name] = (datetime.strptime(item[name], DATE_FORMAT) + timedelta(hours=4)).strftime(
                DATE_FORMAT
            )

    return Rewrite(create_app(store, keys), on_answer=_each_audience(shift))


# -- AUD-01, JSON-01, ERR-01, ERR-02 ----------------------------------------------------------------


@mutant("AUD-01", "contacts_count is sent as a string")
def count_as_string(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def stringify(item: dict[str, Any]) -> None:
        item["contacts_count"] = str(item.get("contacts_count"))

    return Rewrite(create_app(store, keys), on_answer=_each_audience(stringify))


@mutant("JSON-01", "successful answers are labelled text/plain")
def success_as_text(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def relabel(exchange: Exchange, answer: Answer) -> None:
        if answer.status < 300 and answer.body:
            answer.set_header(b"content-type", b"text/plain; charset=utf-8")

    return Rewrite(create_app(store, keys), on_answer=relabel)


@mutant("ERR-01", "error codes are sent as strings ('1305')")
def codes_as_strings(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def stringify(exchange: Exchange, answer: Answer) -> None:
        document = answer.json()
        if answer.status >= 400 and isinstance(document, dict):
            for item in document.get("errors", []):
                item["code"] = str(item["code"])
            answer.set_json(document)

    return Rewrite(create_app(store, keys), on_answer=stringify)


@mutant("ERR-02", "error items carry no timestamp")
def errors_without_timestamp(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def drop(exchange: Exchange, answer: Answer) -> None:
        document = answer.json()
        if answer.status >= 400 and isinstance(document, dict):
            for item in document.get("errors", []):
                item.pop("timestamp", None)
            answer.set_json(document)

    return Rewrite(create_app(store, keys), on_answer=drop)


# -- ROB -------------------------------------------------------------------------------------


@mutant("ROB-01", "a body nested deeper than 1000 levels crashes the parser (500)")
def deep_nesting_crashes(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def crash(exchange: Exchange) -> Answer | None:
        if exchange.body.count(b"[") + exchange.body.count(b"{") > 1000:
            return envelope(exchange, 500, 1009, "RecursionError")
        return None

    return Rewrite(create_app(store, keys), on_request=crash)


@mutant("ROB-02", "405 answers carry no Allow header")
def method_refused_without_allow(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=lambda exchange, answer: (
            answer.set_header(b"allow", None) if answer.status == 405 else None
        ),
    )


@mutant("ROB-02", "a body of any media type is read as JSON (no 415)")
def any_media_type_read(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def as_json(exchange: Exchange) -> None:
        if exchange.header(b"content-type") is not None:
            exchange.set_header(b"content-type", b"application/json")

    return Rewrite(create_app(store, keys), on_request=as_json)


@mutant("ROB-03", "more than 20 requests a second answer 429 without Retry-After")
def rate_limit_without_retry_after(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    recent: list[float] = []

    def limit(exchange: Exchange) -> Answer | None:
        now = time.monotonic()
        recent[:] = [moment for moment in recent if now - moment < 1.0] + [now]
        return envelope(exchange, 429, 1011, "Too many requests.") if len(recent) > 20 else None

    return Rewrite(create_app(store, keys), on_request=limit)


@mutant("ROB-04", "names of the wrong JSON type are read as their text (7 becomes '7')")
def wrong_types_coerced(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def coerce(exchange: Exchange) -> None:
        data = exchange.data()
        targets = (
            [data, *(contact for contact in data.get("contacts", []) if isinstance(contact, dict))]
            if isinstance(data.get("contacts", []), list)
            else [data]
        )
        changed = False
        for fields in targets:
            for name in ("name", "first_name", "last_name"):
                value = fields.get(name)
                if isinstance(value, (bool, int, float)):
                    fields[name] = str(value).lower() if isinstance(value, bool) else str(value)
                    changed = True
        if changed:
            exchange.set_data(data)

    return Rewrite(create_app(store, keys), on_request=coerce)
