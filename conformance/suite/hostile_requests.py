"""What the robustness tests send: hostile bodies, and the helpers that send them and judge the answer.

Each valid body carries a fresh name of the run, so that whatever a faulty server keeps is
found and deleted at the end of the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests

from conformance.checks.client import audience_path
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import current
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh
MIB = 1024 * 1024
JSON_TYPE = {"Content-Type": "application/json"}


def body_routes(audience_id: str) -> list[tuple[str, str]]:
    return [("POST", AUDIENCES_PATH), ("PUT", audience_path(audience_id))]


def expect_no_server_error(response: requests.Response, what: str) -> None:
    check(
        response.status_code < 500,
        "ROB-01",
        expected=f"no 5xx for {what}",
        received=f"HTTP {response.status_code}",
        response=response,
    )


def send(
    target: Target,
    method: str,
    path: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """Send a request. A server that closes the connection instead of answering fails ROB-01
    (the request path raises :class:`~conformance.http.dropped.ConnectionDropped`): however malformed
    the content, the HTTP request is well formed and gets an answer."""
    return target.request(method, path, data=data, headers=headers)


def valid(name: str | None = None) -> dict[str, Any]:
    return {"data": {"name": name or FRESH(), "channel": "SMS"}}


def hostile_bodies() -> Iterator[tuple[str, bytes, str | None]]:
    """(what, body, Content-Type) for create and update; each valid one carries a fresh name."""
    text = json.dumps(valid())
    yield "an unterminated object", b"{", "application/json"
    yield "a truncated body", text[: len(text) // 2].encode(), "application/json"
    yield "trailing garbage", (text + "}}").encode(), "application/json"
    yield "two documents", (text + text).encode(), "application/json"
    yield "an empty body", b"", "application/json"
    yield "only white space", b" \r\n\t ", "application/json"
    yield "NUL bytes", b"\x00" * 64, "application/json"
    for document in ("[]", '"data"', "123", "null", "true", "{}", '{"data": []}', '{"data": "x"}'):
        yield f"the document {document}", document.encode(), "application/json"
    yield "a byte order mark", b"\xef\xbb\xbf" + json.dumps(valid()).encode(), "application/json"
    yield "UTF-16 bytes", json.dumps(valid()).encode("utf-16"), "application/json"
    yield (
        "UTF-16 declared",
        json.dumps(valid()).encode("utf-16-le"),
        "application/json; charset=utf-16",
    )
    # Every name carries the run's prefix, however wrong the rest: what a faulty server keeps
    # is found and deleted at the end of the run.
    yield (
        "latin-1 bytes",
        b'{"data": {"name": "%scaf\xe9", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "invalid UTF-8",
        b'{"data": {"name": "%s\xff\xfe\xc0\x80", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "overlong UTF-8 for '/'",
        b'{"data": {"name": "%sa\xc0\xafb", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "a lone surrogate in the name",
        b'{"data": {"name": "%s\\ud800", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "a lone surrogate in a contact name",
        b'{"data": {"name": "%s", "channel": "SMS", "contacts": [{"number": "+37491234567", "first_name": "\\udfff"}]}}'
        % FRESH().encode(),
        "application/json",
    )
    yield (
        "a lone surrogate as a channel",
        b'{"data": {"name": "%s", "channel": "\\ud83d"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "escaped NUL characters",
        b'{"data": {"name": "%s\\u0000", "channel": "SMS\\u0000"}}' % FRESH().encode(),
        "application/json",
    )
    yield "arrays nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json"
    yield (
        "objects nested 50000 deep",
        b'{"data": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
        "application/json",
    )
    yield (
        "an integer of 5000 digits",
        b'{"data": {"name": 1' + b"0" * 5000 + b', "channel": "SMS"}}',
        "application/json",
    )
    yield (
        "a number beyond double",
        b'{"data": {"name": "%s", "channel": "SMS", "contacts": [{"number": 1e999999}]}}'
        % FRESH().encode(),
        "application/json",
    )
    yield "NaN", b'{"data": {"name": NaN, "channel": "SMS"}}', "application/json"
    yield (
        "-Infinity",
        b'{"data": {"name": "%s", "channel": -Infinity}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "duplicate keys",
        b'{"data": {"name": "%s", "name": 7, "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "contacts as an object",
        json.dumps(
            {
                "data": {
                    "name": FRESH(),
                    "channel": "SMS",
                    "contacts": {"0": {"number": "+37491234567"}},
                }
            }
        ).encode(),
        "application/json",
    )
    yield (
        "30000 contacts",
        json.dumps(
            {
                "data": {
                    "name": FRESH(),
                    "channel": "SMS",
                    "contacts": [{"number": "+37491234567"}] * 30_000,
                }
            }
        ).encode(),
        "application/json",
    )
    yield (
        "a name of 900000 characters",
        json.dumps(valid(FRESH() + "a" * 900_000)).encode(),
        "application/json",
    )
    yield "a body of 2 MiB", json.dumps(valid(FRESH() + "a" * 2 * MIB)).encode(), "application/json"
    yield (
        "a form body",
        b"data[name]=%s&data[channel]=SMS" % FRESH().encode(),
        "application/x-www-form-urlencoded",
    )
    yield (
        "a multipart body",
        b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    )
    yield (
        "XML",
        b"<data><name>%s</name><channel>SMS</channel></data>" % FRESH().encode(),
        "application/xml",
    )
    yield "no content type", json.dumps(valid()).encode(), None
    yield "a garbled content type", json.dumps(valid()).encode(), "][; charset=\x7f"
    yield "a JSON body as text/plain", json.dumps(valid()).encode(), "text/plain"
    yield (
        "an unknown charset",
        json.dumps(valid()).encode(),
        "application/json; charset=x-unknown-42",
    )


HOSTILE_BODIES = list(hostile_bodies())
