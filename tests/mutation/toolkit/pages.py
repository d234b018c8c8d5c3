"""The audience list's query and pages, rewritten on their way in and out.

The list's faults are made here: a query changed before the reference reads it, a page changed
before it is sent, or an error answered in the reference's place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from mutation.toolkit.answers import AUDIENCES, Answer, answer_of

Params = list[tuple[str, str]]
Page = dict[str, Any]


def audience_list(scope: Scope) -> bool:
    return bool(
        scope["type"] == "http"
        and scope["method"] == "GET"
        and scope["path"].rstrip("/") == AUDIENCES
    )


def params_of(scope: Scope) -> Params:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def with_params(scope: Scope, params: Params) -> Scope:
    return {**scope, "query_string": urlencode(params).encode()}


def without_param(scope: Scope, name: str) -> Scope:
    """The request with the query parameter ``name`` left out."""
    return with_params(scope, [(key, value) for key, value in params_of(scope) if key != name])


def rewrite_query(app: ASGIApp, change: Callable[[Params], Params]) -> ASGIApp:
    """Change the query of each audience-list request before the reference sees it."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        await app(
            with_params(scope, change(params_of(scope))) if audience_list(scope) else scope,
            receive,
            send,
        )

    return rewritten


def rewrite_response(
    app: ASGIApp, change: Callable[[Params, int, bytes], tuple[int, bytes]]
) -> ASGIApp:
    """Change status and body of each audience-list response."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        if not audience_list(scope):
            await app(scope, receive, send)
            return
        answer = await answer_of(app, scope, receive)
        answer.status, answer.body = change(params_of(scope), answer.status, answer.body)
        await answer.send(send)

    return rewritten


def rewrite_pages(app: ASGIApp, change: Callable[[Params, Page], None]) -> ASGIApp:
    """Change each 200 page of the audience list in place (its 'data' and 'pagination')."""

    def on_page(params: Params, status: int, body: bytes) -> tuple[int, bytes]:
        if status != 200:
            return status, body
        page = json.loads(body)
        change(params, page)
        return status, json.dumps(page).encode()

    return rewrite_response(app, on_page)


def refuse_when(app: ASGIApp, wanted: Callable[[Params], bool], status: int, code: int) -> ASGIApp:
    """Answer ``status`` with the envelope instead of the reference, for some audience-list queries."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if not (audience_list(scope) and wanted(params_of(scope))):
            await app(scope, receive, send)
            return
        body = json.dumps({"errors": [{"code": code, "message": "refused"}]}).encode()
        await Answer(status, [(b"content-type", b"application/json")], body).send(send)

    return guarded


def retry_list(
    app: ASGIApp,
    wanted: Callable[[Params], bool],
    first: Callable[[Scope], Scope],
    again: Callable[[Scope, Answer], Scope | None],
) -> ASGIApp:
    """For the audience-list queries ``wanted`` picks, the reference is asked ``first(query)``,
    then, where ``again`` makes one of that request and its answer, a second query whose answer
    is sent instead."""

    async def retried(scope: Scope, receive: Receive, send: Send) -> None:
        if not (audience_list(scope) and wanted(params_of(scope))):
            await app(scope, receive, send)
            return
        asked = first(scope)
        answer = await answer_of(app, asked, receive)
        second = again(asked, answer)
        if second is not None:
            answer = await answer_of(app, second, receive)
        await answer.send(send)

    return retried


def page_size_clamped_to_100(params: Params) -> Params:
    """The query with a decimal page_size over 100 read as 100."""
    return [
        (
            name,
            "100"
            if name == "page_size" and value.isascii() and value.isdigit() and int(value) > 100
            else value,
        )
        for name, value in params
    ]


def page_size_of(params: Params) -> int:
    value = dict(params).get("page_size") or "20"
    return int(value) if value.isdigit() else 20


def links_of(page: Page) -> dict[str, Any]:
    links: dict[str, Any] = page["pagination"]["links"]
    return links


def without(link: str, name: str) -> str:
    parts = urlsplit(link)
    return urlunsplit(
        parts._replace(
            query=urlencode([(key, value) for key, value in parse_qsl(parts.query) if key != name])
        )
    )
