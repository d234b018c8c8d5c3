"""Whole requests and answers, seen and rewritten on their way through ASGI middleware.

A server of the catalogue is the reference with one change: :class:`Rewrite` hands a hook the
whole request (:class:`Exchange`) and the whole answer (:class:`Answer`); the ``rewrite_*``
wrappers change only the answer, its JSON document, or the request's scope.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.clock import utc_now_text
from mutation.toolkit.documents import Json, errors_of, items_of

KEY_HEADER = b"x-dexatel-key"
AUDIENCES = "/v1/audiences"
CHANNELS = ("SMS", "VIBER", "WHATSAPP")


@dataclass
class Exchange:
    """A request as a server of the catalogue sees it: the ASGI scope (changeable) and the whole body."""

    scope: dict[str, Any]
    body: bytes

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def segments(self) -> list[str]:
        """The decoded path's segments after /v1/audiences ('' for none)."""
        path = str(self.scope["path"])
        return path.split("/")[3:] if path.startswith(AUDIENCES) else []

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.scope["headers"] if key.lower() == name), None)

    def set_header(self, name: bytes, value: bytes) -> None:
        self.scope["headers"] = [
            (key, old) for key, old in self.scope["headers"] if key.lower() != name
        ] + [(name, value)]

    def json(self) -> Any:
        return parsed(self.body)

    def data(self) -> dict[str, Any]:
        """The body's ``data`` object ({} when there is none)."""
        document = self.json()
        data = document.get("data") if isinstance(document, dict) else None
        return data if isinstance(data, dict) else {}

    def set_data(self, data: dict[str, Any]) -> None:
        self.body = json.dumps({"data": data}).encode()
        self.set_header(b"content-length", str(len(self.body)).encode())


def parsed(body: bytes) -> Any:
    """A body's JSON document; None for one that is not JSON, or too deeply nested to parse (the
    reference behind refuses such a request with its own answer)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


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
        return parsed(self.body)

    def set_json(self, document: Any) -> None:
        self.body = json.dumps(document).encode()

    def codes(self) -> list[int]:
        return [
            item["code"] for item in errors_of(self.json()) if isinstance(item.get("code"), int)
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
        return [item for item in items_of(self.json()) if "channel" in item]

    async def send(self, send: Send) -> None:
        headers = [(key, value) for key, value in self.headers if key.lower() != b"content-length"]
        if self.body or self.status not in (204, 304):
            headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def error_answer(
    scope: Scope, status: int, code: int, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> Answer:
    """An error of the contract's envelope (ERR-01, ERR-02), made by the server itself."""
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


def envelope(
    exchange: Exchange,
    status: int,
    code: int,
    message: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> Answer:
    """An error answer of the contract's shape, to the request a :class:`Rewrite` hook sees."""
    return error_answer(exchange.scope, status, code, message, headers)


async def answer_of(app: ASGIApp, scope: Scope, receive: Receive) -> Answer:
    """The whole answer of ``app`` to one request."""
    answer = Answer(500, [], b"")

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status, answer.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, capture)
    return answer


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
            answer = await answer_of(self.app, exchange.scope, replaying(exchange.body, receive))
        if self.on_answer:
            self.on_answer(exchange, answer)
        await answer.send(send)


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


def recoding(old: int, new: int) -> OnAnswer:
    """An ``on_answer`` hook: the error code ``old`` is answered as ``new``."""

    def recode(exchange: Exchange, answer: Answer) -> None:
        if old in answer.codes():
            answer.recode(old, new)

    return recode


def each_audience(edit: Callable[[dict[str, Any]], None]) -> OnAnswer:
    """An ``on_answer`` hook that hands ``edit`` every audience object of the answer."""

    def apply(exchange: Exchange, answer: Answer) -> None:
        if answer.audiences():
            document = answer.json()
            for item in items_of(document):
                if "channel" in item:
                    edit(item)
            answer.set_json(document)

    return apply


def each_error(edit: Callable[[dict[str, Any]], None]) -> OnAnswer:
    """An ``on_answer`` hook that hands ``edit`` every error item of an error answer."""

    def apply(exchange: Exchange, answer: Answer) -> None:
        document = answer.json()
        if answer.status >= 400 and isinstance(document, dict):
            for item in document.get("errors", []):
                edit(item)
            answer.set_json(document)

    return apply


def account_of(exchange: Exchange, keys: Mapping[str, str]) -> str | None:
    key = exchange.header(KEY_HEADER)
    return keys.get(key.decode("latin-1")) if key is not None else None


def rewrite_answers(app: ASGIApp, change: Callable[[Scope, Answer], None]) -> ASGIApp:
    """Let ``change`` edit every HTTP answer of ``app`` before it is sent."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        answer = await answer_of(app, scope, receive)
        change(scope, answer)
        await answer.send(send)

    return rewritten


def rewrite_json(app: ASGIApp, change: Callable[[Scope, Json], Json]) -> ASGIApp:
    """Let ``change`` replace the JSON document of every answer that has one."""

    def on_answer(scope: Scope, answer: Answer) -> None:
        document = answer.json()
        if document is not None:
            answer.set_json(change(scope, document))

    return rewrite_answers(app, on_answer)


def rewrite_scope(app: ASGIApp, change: Callable[[Scope], Scope]) -> ASGIApp:
    """Let ``change`` edit every HTTP request before ``app`` sees it."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        await app(change(scope) if scope["type"] == "http" else scope, receive, send)

    return rewritten
