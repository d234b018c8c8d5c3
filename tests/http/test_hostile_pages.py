"""The suite stays bounded and on its target when the target's pages never end, or link and
redirect to another host; each run gets ``--max-duration`` and must end well within it."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from hostile_runs import (
    KEY,
    SECONDARY_KEY,
    StartServer,
    assert_bounded,
    run_against,
)
from mutation.catalogue import Server
from mutation.harness import serve
from recording_server import Reply
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer

pytestmark = pytest.mark.slow


# -- pages without end -----------------------------------------------------------------------


async def read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def send_json(send: Send, status: int, document: object) -> None:
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


FAKE_IDS = itertools.count(1)


def fake_audience(name: object, channel: object) -> dict[str, object]:
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return {
        "id": f"endless{next(FAKE_IDS)}",
        "account_id": "account-a",
        "name": name,
        "channel": channel,
        "create_date": now,
        "update_date": now,
        "contacts_count": 0,
    }


async def endless_audiences(scope: Scope, receive: Receive, send: Send) -> None:
    """Creates what it is asked to, but its list never ends: every page is full of new items,
    claims a total of two pages, and links to a next page that was never seen before."""
    if scope["type"] != "http":
        return
    method, path = scope["method"], scope["path"]
    if method == "POST":
        try:
            data = json.loads(await read_body(receive))["data"]
            return await send_json(
                send, 201, {"data": fake_audience(data["name"], data["channel"])}
            )
        except (ValueError, KeyError, TypeError):
            return await send_json(
                send, 400, {"errors": [{"code": 1303, "message": "bad request"}]}
            )
    if method == "DELETE":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        return await send({"type": "http.response.body", "body": b""})
    if method != "GET" or path != "/v1/audiences":
        return await send_json(send, 404, {"errors": [{"code": 1301, "message": "not found"}]})
    query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    size = min(max(int(query["page_size"]), 1), 100) if query.get("page_size", "").isdigit() else 20
    number = int(query["page_token"]) if query.get("page_token", "").isdigit() else 1
    link = "/v1/audiences?" + urlencode(
        {
            "page_size": size,
            **({"filter[channel]": query["filter[channel]"]} if "filter[channel]" in query else {}),
        }
    )
    items = [
        fake_audience(f"endless-{number}-{index}", query.get("filter[channel]", "SMS").upper())
        for index in range(size)
    ]
    links = {
        "first": link,
        "current": f"{link}&page_token={number}",
        "previous": None if number == 1 else f"{link}&page_token={number - 1}",
        "next": f"{link}&page_token={number + 1}",
    }
    await send_json(
        send,
        200,
        {
            "data": items,
            "pagination": {"number": number, "size": size, "total": 2 * size, "links": links},
        },
    )


def test_next_links_that_never_end_are_not_followed_forever() -> None:
    """Full pages, each linking to a new next: the walks stop at their bound, exit 1 naming PAGE-04.
    (The server knows no accounts, so it is given one key: two would be two keys of one account.)"""
    with ReferenceServer(endless_audiences) as server:
        run = run_against(server.base_url, rules=("PAGE-04",), secondary=False)
    assert run.exit_code == 1, run.explain()
    assert "PAGE-04" in run.failed_rules(), run.explain()
    assert "still links to a next page" in run.output, run.explain()
    assert_bounded(run)


# -- links and redirects to another host -----------------------------------------------------

OK_JSON: Reply = (200, {"Content-Type": "application/json"}, b'{"data": [], "pagination": {}}')


def links_to(elsewhere: str) -> Callable[[Any, Mapping[str, str]], ASGIApp]:
    """The reference, but every pagination link points to ``elsewhere``'s scheme, host and port."""
    moved = urlsplit(elsewhere)

    def build(store: Any, keys: Mapping[str, str]) -> ASGIApp:
        app = create_app(store, keys)

        async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
            if (
                scope["type"] != "http"
                or scope["method"] != "GET"
                or scope["path"] != "/v1/audiences"
            ):
                return await app(scope, receive, send)
            status, body = 500, b""
            chunks: list[bytes] = []

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                else:
                    chunks.append(message.get("body", b""))

            await app(scope, receive, capture)
            body = b"".join(chunks)
            document = json.loads(body)
            if status == 200:
                links = document["pagination"]["links"]
                for name, link in links.items():
                    if link is not None:
                        links[name] = urlunsplit(
                            urlsplit(link)._replace(scheme=moved.scheme, netloc=moved.netloc)
                        )
            await send_json(send, status, document)

        return hostile

    return build


def redirects_to(elsewhere: str) -> Callable[[Any, Mapping[str, str]], ASGIApp]:
    """The reference, but getting one audience, or a page past the first, redirects to ``elsewhere``."""

    def build(store: Any, keys: Mapping[str, str]) -> ASGIApp:
        app = create_app(store, keys)

        async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
            query = scope.get("query_string", b"").decode("latin-1")
            one_audience = scope["type"] == "http" and scope["path"].startswith("/v1/audiences/")
            if (
                scope["type"] == "http"
                and scope["method"] == "GET"
                and (one_audience or "page_token=" in query)
            ):
                location = f"{elsewhere}{scope['path']}" + (f"?{query}" if query else "")
                await send(
                    {
                        "type": "http.response.start",
                        "status": 307,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")],
                    }
                )
                return await send({"type": "http.response.body", "body": b""})
            await app(scope, receive, send)

        return hostile

    return build


def test_links_to_another_host_are_never_followed(recording_server: StartServer) -> None:
    """Pagination links to another origin: nothing reaches it, not even a request without the key; PAGE-09 fails."""
    elsewhere = recording_server(lambda method, path: OK_JSON)
    with serve(
        Server("links-elsewhere", "links to another origin", links_to(elsewhere.url)),
        keys=(KEY, SECONDARY_KEY),
    ) as served:
        run = run_against(served.base_url, rules=("PAGE-09",))
    assert elsewhere.seen == [], f"requests reached the other host: {elsewhere.seen}"
    assert run.exit_code == 1, run.explain()
    assert "PAGE-09" in run.failed_rules(), run.explain()
    assert elsewhere.url.rsplit(":", 1)[1] in run.output, run.explain()
    assert_bounded(run)


def test_redirects_to_another_host_are_never_followed(recording_server: StartServer) -> None:
    """Redirects to another origin are answers, not instructions: nothing reaches it; the rules that needed a 200 fail."""
    elsewhere = recording_server(lambda method, path: OK_JSON)
    with serve(
        Server("redirects-elsewhere", "redirects to another origin", redirects_to(elsewhere.url)),
        keys=(KEY, SECONDARY_KEY),
    ) as served:
        run = run_against(served.base_url, rules=("PAGE-04", "CRUD-02"))
    assert elsewhere.seen == [], f"requests reached the other host: {elsewhere.seen}"
    assert run.exit_code == 1, run.explain()
    assert {"PAGE-04", "CRUD-02"} <= run.failed_rules(), run.explain()
    assert "HTTP 307" in run.output, run.explain()
    assert_bounded(run)
