"""A running reference server for the reference's own tests, and clients of fresh accounts.

Each test asks for accounts no other test has used, so one server can be shared by a whole
module while every test still sees collections of its own.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer

ACCOUNT_POOL = 256
TIMEOUT = 10.0
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
Json = dict[str, Any]


def unique_name(prefix: str = "aud") -> str:
    """A valid audience name no other test uses."""
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass
class Client:
    """Requests to the server with one account's key."""

    base_url: str
    key: str
    account_id: str
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``path`` below the base URL, or an absolute link taken from a response."""
        headers = {"X-Dexatel-Key": self.key, **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else self.base_url + path
        return self.session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)

    def create(
        self, name: str | None = None, channel: str = "SMS", contacts: list[Json] | None = None
    ) -> Json:
        """Create an audience and return it; the test fails unless the answer is 201."""
        data: Json = {"name": name or unique_name(), "channel": channel}
        if contacts is not None:
            data["contacts"] = contacts
        response = self.call("POST", "/v1/audiences", json={"data": data})
        assert response.status_code == 201, response.text
        audience: Json = response.json()["data"]
        return audience

    def walk(self, path: str, max_pages: int = 200) -> list[Json]:
        """Every page from ``path`` on, following ``next`` links."""
        pages: list[Json] = []
        link: str | None = path
        while link is not None:
            response = self.call("GET", link)
            assert response.status_code == 200, response.text
            pages.append(response.json())
            link = pages[-1]["pagination"]["links"]["next"]
            assert len(pages) <= max_pages, "the walk does not end"
        return pages

    def close(self) -> None:
        self.session.close()


class Reference:
    """The server, with a pool of accounts handed out one at a time."""

    def __init__(self, server: ReferenceServer, keys: dict[str, str]) -> None:
        self.server = server
        self._unused = list(keys.items())
        self._clients: list[Client] = []

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def fresh_client(self) -> Client:
        """A client of an account no test has used yet on this server."""
        if not self._unused:
            raise RuntimeError(f"All {ACCOUNT_POOL} test accounts are used; raise ACCOUNT_POOL.")
        key, account = self._unused.pop()
        client = Client(self.base_url, key, account)
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


def account_keys(count: int = ACCOUNT_POOL) -> dict[str, str]:
    return {generate_key(): f"account-{index}" for index in range(count)}


@contextmanager
def running_reference(db: str = ":memory:") -> Iterator[Reference]:
    """The reference server on a free loopback port, over ``db``."""
    keys = account_keys()
    with ReferenceServer(db=db, keys=keys) as server:
        reference = Reference(server, keys)
        try:
            yield reference
        finally:
            reference.close()


def assert_envelope(response: requests.Response, status: int, code: int | None = None) -> None:
    """ERR-01/ERR-02: the status, a JSON envelope whose items are complete, and ``code`` among them."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text[:300]}"
    )
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()["errors"]
    assert isinstance(errors, list) and errors
    for item in errors:
        assert type(item["code"]) is int and isinstance(item["message"], str)
        assert item["status"] == status
        assert DATE_TEXT.fullmatch(item["timestamp"])
        assert isinstance(item["path"], str) and item["method"] == response.request.method
    if code is not None:
        assert code in [item["code"] for item in errors], f"expected code {code} in {errors}"


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(
    base_url: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None = None,
) -> RawResponse:
    """One request exactly as given (odd headers, repeated headers, raw paths), which requests would tidy up."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=TIMEOUT
    )
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return RawResponse(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def query_of(link: str) -> dict[str, list[str]]:
    """The decoded query parameters of a link."""
    return parse_qs(urlsplit(link).query, keep_blank_values=True)
