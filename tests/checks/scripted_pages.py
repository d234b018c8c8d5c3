"""Paged lists scripted for the walker's tests: pages of ids behind links, served on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from recording_server import RecordingServer, Reply

from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.target import Target

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
Book = Mapping[str, tuple[list[str], str | None]]  # page param -> (ids, next link)


def page(
    ids: list[str],
    *,
    number: int,
    total: int,
    next_link: str | None,
    page_param: str,
    previous: str | None = None,
) -> bytes:
    links = {
        "first": "/v1/audiences?page_size=2",
        "current": f"/v1/audiences?page_size=2&page={page_param}",
        "previous": previous,
        "next": next_link,
    }
    body = {
        "data": [{"id": item} for item in ids],
        "pagination": {"number": number, "size": len(ids), "total": total, "links": links},
    }
    return json.dumps(body).encode()


def scripted(book: Book, total: int) -> Callable[[str, str], Reply]:
    """Pages keyed by the 'page' query parameter (absent: '1'), numbered in book order."""
    numbers = {param: index + 1 for index, param in enumerate(book)}

    def reply(method: str, path: str) -> Reply:
        param = parse_qs(urlsplit(path).query).get("page", ["1"])[0]
        if param not in book:
            return (
                404,
                {"Content-Type": "application/json"},
                b'{"errors": [{"code": 1, "message": "no such page"}]}',
            )
        ids, next_link = book[param]
        previous = None if numbers[param] == 1 else "/v1/audiences?page_size=2"
        return (
            200,
            {"Content-Type": "application/json"},
            page(
                ids,
                number=numbers[param],
                total=total,
                next_link=next_link,
                page_param=param,
                previous=previous,
            ),
        )

    return reply


def target_of(server: RecordingServer, prefix: str = "") -> Target:
    return Target(server.url + prefix, "k-walker", RequestPolicy(origin=Origin.of(server.url)))


def paths(server: RecordingServer) -> list[str]:
    return [path for _, path, _ in server.seen]
