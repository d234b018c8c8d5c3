"""The ASGI application: key check, then route, method, id, body, and the operation.

Order of refusals on every request: 401 (AUTH-01) -> 404 unknown route -> 405 (with Allow)
-> 400 malformed id (VAL-1302) -> 415 -> 413 -> 400 bad JSON -> the operation's own checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from conformance.reference.auth import ACCOUNT_STATE, KeyCheckMiddleware
from conformance.reference.body import read_json_body
from conformance.reference.cursors import CursorCodec
from conformance.reference.errors import ApiError, Code, error_response
from conformance.reference.keys import KeyRing
from conformance.reference.operations import Call, Operations, Reply
from conformance.reference.pagination import Paginator
from conformance.reference.responses import FastJSONResponse
from conformance.reference.routing import ALLOWED_METHODS, Kind, resolve
from conformance.reference.store import Store
from conformance.reference.validation import check_id
from conformance.reference.views import api_base_url

Operation = Callable[[Call], Reply]
BODY_METHODS = ("POST", "PUT")


def create_app(
    store: Store, keys: Mapping[str, str], *, paginator: Paginator | None = None
) -> Starlette:
    """The reference server over ``store``, accepting ``keys`` (key -> account id)."""
    operations = Operations(store, paginator or Paginator(CursorCodec(store.cursor_secret)))
    app = Starlette(
        middleware=[Middleware(KeyCheckMiddleware, keyring=KeyRing(keys))],
        exception_handlers={
            ApiError: _refusal,
            HTTPException: _http_refusal,
            Exception: _unexpected,
        },
    )
    # No route patterns: every request, whatever characters its path holds (a newline
    # included, which a '{path:path}' pattern would miss), reaches the dispatcher, which
    # resolves resources from the raw path (routing.py), so 404 and 405 carry the envelope.
    app.router.default = Dispatcher(operations)
    return app


class Dispatcher:
    """An ASGI endpoint mapping (resource, method) to an operation after the HTTP-level checks."""

    def __init__(self, operations: Operations) -> None:
        self.operations: dict[tuple[Kind, str], Operation] = {
            (Kind.AUDIENCES, "GET"): operations.query_audiences,
            (Kind.AUDIENCES, "POST"): operations.create_audience,
            (Kind.AUDIENCE, "GET"): operations.get_audience,
            (Kind.AUDIENCE, "PUT"): operations.update_audience,
            (Kind.AUDIENCE, "DELETE"): operations.delete_audience,
            (Kind.CONTACTS, "GET"): operations.query_contacts,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        resource = resolve(request.scope)
        if resource is None:
            raise ApiError.one(404, Code.ROUTE_NOT_FOUND, "No such route.")
        allowed = ALLOWED_METHODS[resource.kind]
        if request.method not in allowed:
            # ROB-02: 405 names the methods the resource has (RFC 9110 Allow).
            raise ApiError.one(
                405,
                Code.METHOD_NOT_ALLOWED,
                f"Method {request.method} is not allowed here.",
                headers={"Allow": ", ".join(allowed)},
            )
        audience_id = None if resource.audience_id is None else check_id(resource.audience_id)
        body = await read_json_body(request) if request.method in BODY_METHODS else None
        call = Call(
            getattr(request.state, ACCOUNT_STATE),
            audience_id,
            request.query_params,
            body,
            api_base_url(request.scope),
        )
        method = "GET" if request.method == "HEAD" else request.method
        # On the event loop, not in a worker thread: an operation is a few SQLite statements
        # under the store's lock, well under a millisecond, and the hop to a thread and back
        # cost more than the operation itself (docs/PERFORMANCE.md, Throughput).
        reply = self.operations[(resource.kind, method)](call)
        if reply.content is None:
            return Response(
                status_code=reply.status
            )  # JSON-01: a 204 has no body and no content type
        return FastJSONResponse(reply.content, status_code=reply.status)


async def _refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, path=request.scope["path"], method=request.method)


async def _http_refusal(request: Request, exc: Exception) -> Response:
    """Refusals raised by Starlette itself (a path outside any route) get the envelope too."""
    assert isinstance(exc, HTTPException)
    code = {404: Code.ROUTE_NOT_FOUND, 405: Code.METHOD_NOT_ALLOWED}.get(
        exc.status_code, Code.WRONG_TYPE
    )
    return error_response(
        ApiError.one(exc.status_code, code, exc.detail, headers=exc.headers),
        path=request.scope["path"],
        method=request.method,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    """ROB-01 backstop: a defect still answers with the envelope, never with a traceback."""
    return error_response(
        ApiError.one(500, Code.INTERNAL, "The server failed to answer this request."),
        path=request.scope["path"],
        method=request.method,
    )
