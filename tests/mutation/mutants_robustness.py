"""Mutants of robustness (ROB-*): requests a server should survive or refuse cleanly, and does
not. Each breaks one rule."""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.store import Store
from mutation.catalogue import mutant
from mutation.toolkit.answers import Answer, Exchange, Rewrite, envelope

# -- ROB-01 to ROB-04: requests a server should survive --------------------------------------------


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


# -- ROB-01: a connection closed under an unknown parameter ----------------------------------------

KNOWN_PARAMETERS = frozenset({"page_size", "page_token", "filter[channel]", "filter[search]"})


class DropOnUnknownParameter:
    """A request carrying a query parameter the server does not know is never answered: the
    connection is closed under it (a well-formed HTTP request, so ROB-01, not a 5xx, is broken)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = parse_qsl(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            )
            if any(name not in KNOWN_PARAMETERS for name, _ in query):
                receive.__self__.transport.abort()  # type: ignore[attr-defined]  # uvicorn's cycle holds the socket
                while (await receive())["type"] != "http.disconnect":
                    pass  # return once the server knows, so it does not answer a 500 on the dead socket
                return
        await self.app(scope, receive, send)


@mutant(
    "ROB-01",
    "a request with a query parameter the server does not know gets no answer: the connection is closed",
)
def unknown_parameter_drops_the_connection(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return DropOnUnknownParameter(create_app(store, keys))
