"""Hostile and odd requests never yield a 5xx (ROB-01, MUST).

Malformed, odd or huge bodies, random bytes and JSON, odd query strings, methods and paths:
the server may refuse them as it likes, but must answer, and never with a 5xx. The usual
refusals themselves are checked in ``test_robustness_refusals.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks.client import audience_path
from conformance.checks.param_ids import readable_ids
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.suite.hostile_requests import (
    FRESH,
    HOSTILE_BODIES,
    JSON_TYPE,
    body_routes,
    expect_no_server_error,
    send,
)


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize(
    "what, body, content_type",
    HOSTILE_BODIES,
    ids=[what.replace(" ", "-") for what, _, _ in HOSTILE_BODIES],
)
def test_hostile_bodies_never_yield_a_5xx(
    target: Target,
    robustness_audience: dict[str, Any],
    what: str,
    body: bytes,
    content_type: str | None,
) -> None:
    """ROB-01: create and update with a malformed, odd or huge body: any answer but a 5xx."""
    headers = {"Content-Type": content_type} if content_type else {}
    for method, path in body_routes(robustness_audience["id"]):
        expect_no_server_error(
            send(target, method, path, data=body, headers=headers), f"{method} with {what}"
        )


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "text/plain", ""]
    ),
)
def test_random_bytes_never_yield_a_5xx(
    target: Target, robustness_audience: dict[str, Any], body: bytes, content_type: str
) -> None:
    """ROB-01: any bytes as a create or update body."""
    for method, path in body_routes(robustness_audience["id"]):
        response = send(
            target,
            method,
            path,
            data=body,
            headers={"Content-Type": content_type} if content_type else {},
        )
        expect_no_server_error(response, f"{method} with {len(body)} random bytes")


JSON_KEYS = st.sampled_from(
    ["data", "name", "channel", "contacts", "number", "first_name", "last_name", "id", ""]
) | st.text(max_size=8)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(JSON_KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@given(document=JSON_VALUES)
def test_random_json_never_yields_a_5xx(
    target: Target, robustness_audience: dict[str, Any], document: Any
) -> None:
    """ROB-01: any JSON document, of the contract's field names or not, as a create or update body."""
    for method, path in body_routes(robustness_audience["id"]):
        response = send(target, method, path, data=json.dumps(document).encode(), headers=JSON_TYPE)
        expect_no_server_error(response, f"{method} with the document {json.dumps(document)[:200]}")


def _odd_queries() -> list[str]:
    return [
        "foo=bar",
        "page_size=%FF",
        "page_size=%00",
        "page_size=1e2",
        "page_size=-1",
        "page_size=99999999999999999999999999",
        "page_size=5&page_size=7",
        "filter[channel]=%FF%FE",
        "filter%5Bchannel%5D%5B%5D=SMS",
        "filter=SMS",
        "filter[unknown]=x",
        "page_token=%00",
        "page_token=" + "A" * 8000,
        "%ZZ=1&=&&=x",
        "data[name]=x&channel=SMS",
        "filter[search]=%25%5F%27%22",
    ]


@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize("query", _odd_queries(), ids=readable_ids(_odd_queries()))
def test_odd_query_strings_never_yield_a_5xx(target: Target, query: str) -> None:
    """ROB-01: unknown, repeated, badly encoded or huge query parameters on every read route."""
    audience_id = "0" * 32
    for path in (
        AUDIENCES_PATH,
        audience_path(audience_id),
        audience_path(audience_id) + "/contacts",
    ):
        expect_no_server_error(send(target, "GET", f"{path}?{query}"), f"GET {path}?{query[:80]}")


@pytest.mark.rule("ROB-01")
@given(params=st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=4))
def test_random_query_parameters_never_yield_a_5xx(target: Target, params: dict[str, str]) -> None:
    """ROB-01: any parameters, properly encoded, beside the query operation's own."""
    response = target.get(AUDIENCES_PATH, params=params)
    expect_no_server_error(response, f"GET {AUDIENCES_PATH} with the parameters {params}")


ODD_METHODS = ["PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize("method", ODD_METHODS)
def test_unknown_methods_never_yield_a_5xx(
    target: Target, robustness_audience: dict[str, Any], method: str
) -> None:
    """ROB-01: methods the contract does not name, on every route (OPTIONS and HEAD may well succeed)."""
    for path in (
        AUDIENCES_PATH,
        audience_path(robustness_audience["id"]),
        audience_path(robustness_audience["id"]) + "/contacts",
    ):
        expect_no_server_error(
            send(
                target,
                method,
                path,
                data=json.dumps({"data": {"name": FRESH()}}).encode(),
                headers=JSON_TYPE,
            ),
            f"{method} {path}",
        )


@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize(
    "suffix",
    [
        "/",
        "//",
        "/0123/contacts/",
        "/0123/contacts/x",
        "/0123/x",
        "/%2e%2e",
        "/0123/%2e%2e/contacts",
        "/%00",
        "/%FF",
    ],
)
def test_odd_paths_never_yield_a_5xx(target: Target, suffix: str) -> None:
    """ROB-01: trailing slashes, extra segments and odd encodings below /v1/audiences."""
    expect_no_server_error(
        send(target, "GET", AUDIENCES_PATH + suffix), f"GET {AUDIENCES_PATH + suffix}"
    )
