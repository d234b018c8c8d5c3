"""AUTH-01: every route needs a known X-Dexatel-Key, and the key is checked before anything else.

A missing, empty or unknown key gets 401 with the error envelope, on every route of the
contract, even when the request is also wrong in other ways (a bad body, a malformed or
unknown id, a bad query): a server that validates first tells strangers what it holds.

Padding a key with spaces or tabs is not probed: HTTP itself strips them from header values
(RFC 9110 section 5.5), so such a key is the same key. A non-breaking space is not stripped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import faults, identifiers
from conformance.checks.client import audience_path, create_audience, expect_error
from conformance.contract.facts import AUDIENCES_PATH, KEY_HEADER
from conformance.http.target import Target
from conformance.run.session import RunContext, current

RUN = current()
FRESH = RUN.namer.fresh
UNKNOWN_ID = RUN.guard.mint_absent("hex")
CREATE_FAULTS = faults.create_faults(FRESH)


@dataclass(frozen=True)
class BadKey:
    """A way of presenting no valid key: the headers sent instead, made from the real key."""

    name: str
    headers: Callable[[str], dict[str, str]]


def _key(value: Callable[[str], str]) -> Callable[[str], dict[str, str]]:
    return lambda real: {KEY_HEADER: value(real)}


BAD_KEYS = [
    BadKey("missing", lambda real: {}),
    BadKey("empty", _key(lambda real: "")),
    BadKey(
        "unknown",
        _key(lambda real: "0" * len(real) if real != "0" * len(real) else "1" * len(real)),
    ),
    BadKey("truncated", _key(lambda real: real[:-1])),
    BadKey("extended", _key(lambda real: real + "0")),
    BadKey("padded with a non-breaking space", _key(lambda real: real + "\u00a0")),
    BadKey("very long", _key(lambda real: real * (4096 // max(1, len(real)) + 1))),
    BadKey("latin-1 letters", _key(lambda real: "clé-" + real)),
    BadKey("UTF-8 bytes", _key(lambda real: ("ключ-" + real).encode("utf-8").decode("latin-1"))),
    BadKey("in the Authorization header instead", lambda real: {"Authorization": f"Bearer {real}"}),
]


def _params() -> list[Any]:
    return [pytest.param(bad, id=bad.name.replace(" ", "-")) for bad in BAD_KEYS]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None


def read_calls(audience_id: str) -> list[Call]:
    return [
        Call("GET", AUDIENCES_PATH),
        Call("GET", audience_path(audience_id)),
        Call("GET", audience_path(audience_id) + "/contacts"),
    ]


def write_calls(audience_id: str) -> list[Call]:
    return [
        Call("POST", AUDIENCES_PATH, {"data": {"name": FRESH(), "channel": "SMS"}}),
        Call("PUT", audience_path(audience_id), {"data": {"name": FRESH()}}),
        Call("DELETE", audience_path(audience_id)),
    ]


def send_with(target: Target, call: Call, bad: BadKey) -> None:
    """Send ``call`` with ``bad`` instead of the key; expect 401 with the envelope."""
    real = target.api_key
    response = target.request(
        call.method, call.path, json=call.body, key=None, headers=bad.headers(real)
    )
    expect_error(
        response,
        status=401,
        rule="AUTH-01",
        context=f"{call.method} {call.path} with a key that is {bad.name}",
    )


@pytest.fixture(scope="module")
def some_id(target: Target, run: RunContext) -> str:
    """An id a request with the right key would find: one of the account's, or one made here."""
    if not run.settings.read_only:
        return str(create_audience(target, FRESH(), "SMS")["id"])
    listed = target.get(AUDIENCES_PATH, params={"page_size": 1})
    items = listed.json().get("data") if listed.status_code == 200 else None
    return str(items[0]["id"]) if items else "0123456789abcdef"


@pytest.mark.rule("AUTH-01")
@pytest.mark.parametrize("bad", _params())
def test_reads_refuse_a_bad_key(target: Target, some_id: str, bad: BadKey) -> None:
    """Query, get and query contacts, with no valid key: 401 with the envelope."""
    for call in read_calls(some_id):
        send_with(target, call, bad)


@pytest.mark.writes
@pytest.mark.rule("AUTH-01")
@pytest.mark.parametrize("bad", _params())
def test_writes_refuse_a_bad_key(target: Target, some_id: str, bad: BadKey) -> None:
    """Create, update and delete with a valid body, with no valid key: 401 with the envelope."""
    for call in write_calls(some_id):
        send_with(target, call, bad)


@pytest.mark.rule("AUTH-01")
@given(key=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200))
def test_any_unknown_key_is_refused(target: Target, key: str) -> None:
    """Any visible-ASCII key the server did not issue gets 401."""
    if key == target.api_key or (RUN.secondary is not None and key == RUN.secondary.api_key):
        return
    response = target.get(AUDIENCES_PATH, key=key)
    expect_error(response, status=401, rule="AUTH-01", context="query with an unknown key")


# -- authentication comes first ---------------------------------------------------------


def unauthenticated_reads() -> list[tuple[str, Call]]:
    return [
        ("a malformed id", Call("GET", "/v1/audiences/bad%20id%21")),
        ("a malformed id in contacts", Call("GET", "/v1/audiences/bad%20id%21/contacts")),
        ("an id too long", Call("GET", audience_path("a" * 65))),
        ("an unknown id", Call("GET", audience_path("0" * 32))),
        ("an unknown id in contacts", Call("GET", audience_path("0" * 32) + "/contacts")),
        ("a bad page size", Call("GET", AUDIENCES_PATH + "?page_size=0")),
        ("a tampered page token", Call("GET", AUDIENCES_PATH + "?page_token=%00%FF")),
        ("an unknown channel filter", Call("GET", AUDIENCES_PATH + "?filter%5Bchannel%5D=EMAIL")),
    ]


@pytest.mark.rule("AUTH-01")
@pytest.mark.parametrize(
    "why, call",
    unauthenticated_reads(),
    ids=[why.replace(" ", "-") for why, _ in unauthenticated_reads()],
)
def test_reads_check_the_key_before_anything_else(target: Target, why: str, call: Call) -> None:
    """A read that is also wrong in another way, without a key: 401, not 400 or 404."""
    response = target.get(call.path, key=None)
    expect_error(response, status=401, rule="AUTH-01", context=f"GET with {why} and no key")


def unauthenticated_writes() -> list[tuple[str, str, str, dict[str, str], bytes | None]]:
    """(why, method, path, headers, raw body); a None body means a valid JSON one."""
    json_type = {"Content-Type": "application/json"}
    return [
        ("a body that is not JSON", "POST", AUDIENCES_PATH, json_type, b"{not json"),
        (
            "a body of another media type",
            "POST",
            AUDIENCES_PATH,
            {"Content-Type": "text/plain"},
            b"name=x",
        ),
        ("an empty body", "POST", AUDIENCES_PATH, json_type, b""),
        # Ids the suite minted to be absent: a write reaches only what the run created.
        (
            "a malformed id",
            "PUT",
            identifiers.id_path(RUN.guard.mint_malformed("bad id!")),
            json_type,
            None,
        ),
        (
            "a malformed id",
            "DELETE",
            identifiers.id_path(RUN.guard.mint_malformed("bad id!")),
            {},
            b"",
        ),
        ("an unknown id", "PUT", audience_path(UNKNOWN_ID), json_type, None),
        ("an unknown id", "DELETE", audience_path(UNKNOWN_ID), {}, b""),
    ]


@pytest.mark.writes
@pytest.mark.rule("AUTH-01")
@pytest.mark.parametrize(
    "why, method, path, headers, raw",
    unauthenticated_writes(),
    ids=[f"{m}-{w.replace(' ', '-')}" for w, m, *_ in unauthenticated_writes()],
)
def test_writes_check_the_key_before_anything_else(
    target: Target, why: str, method: str, path: str, headers: dict[str, str], raw: bytes | None
) -> None:
    """A write that is also wrong in another way, without a key: 401, not 400, 404 or 415."""
    body = raw if raw is not None else json.dumps({"data": {"name": FRESH()}}).encode()
    response = target.request(method, path, data=body, headers=headers, key=None)
    expect_error(response, status=401, rule="AUTH-01", context=f"{method} with {why} and no key")


@pytest.mark.writes
@pytest.mark.rule("AUTH-01")
@given(data=st.data())
def test_faulty_creates_without_a_key_get_401(target: Target, data: st.DataObject) -> None:
    """A create with any fault of the code table, without a key: 401, not the fault's 400."""
    code = data.draw(st.sampled_from(sorted(CREATE_FAULTS)), label="code")
    fault = data.draw(CREATE_FAULTS[code], label="fault")
    response = target.post(AUDIENCES_PATH, json=fault.body, key=None)
    expect_error(
        response, status=401, rule="AUTH-01", context=f"create with {fault.what} and no key"
    )
