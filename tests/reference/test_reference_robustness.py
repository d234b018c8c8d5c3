"""ROB-01, ROB-02, ROB-04 and JSON-01: malformed requests get 4xx envelopes, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_client import (
    Client,
    Reference,
    assert_envelope,
    raw_request,
    unique_name,
)

from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.records import AudienceRecord
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def client(reference: Reference) -> Client:
    return reference.fresh_client()


def post_raw(
    client: Client,
    body: bytes,
    content_type: str | None = "application/json",
    path: str = "/v1/audiences",
    method: str = "POST",
) -> Any:
    headers = [("X-Dexatel-Key", client.key)] + (
        [("Content-Type", content_type)] if content_type is not None else []
    )
    return raw_request(client.base_url, method, path, headers, body)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"nope",
        b"{'data': 1}",
        b'{"data": NaN}',
        b"Infinity",
        b'{"data": {"name": "a",}}',
        b"\xff\xfe\xfd",
        b"[" * 100_000,
        b"{" * 50_000,
        b'{"n": ' + b"1" * 5000 + b"}",
        b"\x00",
    ],
    ids=[
        "unclosed",
        "word",
        "single quotes",
        "NaN",
        "Infinity",
        "trailing comma",
        "not UTF-8",
        "deep arrays",
        "deep objects",
        "huge integer",
        "NUL",
    ],
)
def test_body_that_is_not_json_gets_400(client: Client, body: bytes) -> None:
    """ROB-02: a body that is not JSON gets 400 with the envelope (code 1000)."""
    response = post_raw(client, body)
    assert response.status == 400 and response.headers["content-type"].startswith(
        "application/json"
    )
    assert 1000 in [item["code"] for item in response.json()["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": {"name": "\\ud800", "channel": "SMS"}}',
        b'{"data": {"name": "a\\u0000", "channel": "SMS"}}',
        '{"data": {"name": "\U0001f600", "channel": "SMS"}}'.encode(),
        b'{"data": {"name": "ok", "channel": "\\udfff"}}',
        b'{"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "+15550001", "first_name": "\\ud83d"}]}}',
        b'{"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800"}]}}',
        b'{"data": {"name": 1e999, "channel": "SMS"}}',
        b'{"data": {"name": ' + b"9" * 4000 + b', "channel": "SMS"}}',
    ],
    ids=[
        "lone surrogate name",
        "NUL name",
        "emoji name",
        "surrogate channel",
        "surrogate first_name",
        "surrogate number",
        "infinite name",
        "huge integer name",
    ],
)
def test_odd_strings_get_400_not_5xx(client: Client, body: bytes) -> None:
    """ROB-01 and ROB-04: odd strings and numbers are refused with 400 and the envelope."""
    response = post_raw(client, body)
    assert response.status == 400, response.body
    assert response.json()["errors"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32-le", "utf-8-sig"])
def test_json_in_other_unicode_encodings_is_read(client: Client, encoding: str) -> None:
    """ROB-01: a JSON body in UTF-16, UTF-32 or with a UTF-8 byte order mark is understood."""
    name = unique_name()
    body = json.dumps({"data": {"name": name, "channel": "SMS"}}).encode(encoding)
    response = post_raw(client, body, "application/json")
    assert response.status == 201 and response.json()["data"]["name"] == name


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "json",
        "application/jsonx",
        "*/*",
    ],
)
def test_content_type_other_than_json_gets_415(client: Client, content_type: str) -> None:
    """ROB-02: create and update with a non-JSON Content-Type get 415."""
    body = json.dumps({"data": {"name": unique_name(), "channel": "SMS"}}).encode()
    assert post_raw(client, body, content_type).status == 415
    audience = client.create()
    response = post_raw(
        client, b'{"data": {"name": "x"}}', content_type, f"/v1/audiences/{audience['id']}", "PUT"
    )
    assert response.status == 415 and response.json()["errors"][0]["code"] == 1004


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.api+json",
        None,
    ],
)
def test_json_content_types_and_none_are_accepted(client: Client, content_type: str | None) -> None:
    """ROB-02: JSON media types, with parameters or a +json suffix, and a missing Content-Type are fine."""
    body = json.dumps({"data": {"name": unique_name(), "channel": "SMS"}}).encode()
    assert post_raw(client, body, content_type).status == 201


@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [
        ("PATCH", "", "GET, HEAD, POST"),
        ("PUT", "", "GET, HEAD, POST"),
        ("DELETE", "", "GET, HEAD, POST"),
        ("OPTIONS", "", "GET, HEAD, POST"),
        ("POST", "/0123456789abcdef", "GET, HEAD, PUT, DELETE"),
        ("PATCH", "/0123456789abcdef", "GET, HEAD, PUT, DELETE"),
        ("POST", "/0123456789abcdef/contacts", "GET, HEAD"),
        ("DELETE", "/0123456789abcdef/contacts", "GET, HEAD"),
        ("BREW", "", "GET, HEAD, POST"),
    ],
)
def test_method_a_route_lacks_gets_405_with_allow(
    client: Client, method: str, suffix: str, allowed: str
) -> None:
    """ROB-02: 405 with the envelope and an Allow header naming the route's methods."""
    response = client.call(method, f"/v1/audiences{suffix}", json={"data": {}})
    assert_envelope(response, 405, 1002)
    assert response.headers["allow"] == allowed


def test_body_over_one_mebibyte_gets_413(client: Client) -> None:
    """ROB-02: a body over 1 MiB gets 413, declared by Content-Length or streamed in chunks."""
    big = b'{"data": {"name": "' + b"x" * (2 * MIB) + b'"}}'
    assert_envelope(
        client.call(
            "POST", "/v1/audiences", data=big, headers={"Content-Type": "application/json"}
        ),
        413,
        1003,
    )
    chunks = iter([big[i : i + 65536] for i in range(0, len(big), 65536)])
    assert_envelope(
        client.call(
            "POST", "/v1/audiences", data=chunks, headers={"Content-Type": "application/json"}
        ),
        413,
        1003,
    )
    audience = client.create()
    assert_envelope(
        client.call(
            "PUT",
            f"/v1/audiences/{audience['id']}",
            data=big,
            headers={"Content-Type": "application/json"},
        ),
        413,
        1003,
    )


def test_body_of_exactly_one_mebibyte_is_read(client: Client) -> None:
    """ROB-02: the limit is 'over 1 MiB'; a body of exactly 1 MiB is accepted."""
    body = json.dumps({"data": {"name": unique_name(), "channel": "SMS"}}).encode()
    body += b" " * (MIB - len(body))
    assert (
        client.call(
            "POST", "/v1/audiences", data=body, headers={"Content-Type": "application/json"}
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v1",
        "/v1/audiencesX",
        "/v2/audiences",
        "/V1/AUDIENCES",
        "/v1/contacts",
        "/favicon.ico",
    ],
)
def test_unknown_route_gets_404_envelope(client: Client, path: str) -> None:
    """JSON-01: an unknown path is a 404 with the envelope (code 1007)."""
    assert_envelope(client.call("GET", path), 404, 1007)


@pytest.mark.parametrize(
    "target",
    [
        "/v1/audiences/%ZZ",
        "/v1/audiences/..%2F..%2Fetc",
        "/v1/audiences/%C0%AF",
        "/v1/audiences/a%0Ab",
        "/v1/audiences?page_size=%FF",
        "/v1/audiences?%%%=&&==",
    ],
)
def test_odd_raw_paths_never_yield_5xx(client: Client, target: str) -> None:
    """ROB-01: broken percent-encoding in paths and queries gets a 4xx envelope or a page."""
    response = raw_request(client.base_url, "GET", target, [("X-Dexatel-Key", client.key)])
    assert response.status < 500 and response.headers["content-type"].startswith("application/json")
    json.loads(response.body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["data", "name", "channel", "contacts", "number", "first_name", "x"])
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values)
def test_any_json_body_gets_a_non_5xx_json_answer(client: Client, body: object) -> None:
    """ROB-01: whatever JSON a create sends, the answer is 201 or a 4xx envelope."""
    response = client.call(
        "POST", "/v1/audiences", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (201, 400, 409), response.text
    assert response.json()


@settings(max_examples=60, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(["page_size", "page_token", "filter[channel]", "filter[search]", "x"]),
        st.text(max_size=40),
        max_size=4,
    )
)
def test_any_query_gets_a_non_5xx_json_answer(client: Client, params: dict[str, str]) -> None:
    """ROB-01: whatever the query parameters, the answer is a page or a 400 envelope."""
    response = client.call("GET", "/v1/audiences", params=params)
    assert response.status_code in (200, 400), response.text
    assert response.json()


class BrokenStore(Store):
    """A store whose list query fails, to show the backstop."""

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        raise RuntimeError("disk on fire")


def test_unexpected_failure_still_answers_with_the_envelope(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ROB-01 backstop: a defect answers 500 with a JSON envelope and no traceback text."""
    store = BrokenStore(":memory:")
    key = generate_key()
    with ReferenceServer(create_app(store, {key: "acct"})) as server:
        client = Client(server.base_url, key, "acct")
        response = client.call("GET", "/v1/audiences")
        client.close()
    store.close()
    assert response.status_code == 500 and response.headers["content-type"].startswith(
        "application/json"
    )
    assert response.json()["errors"][0]["status"] == 500
    assert "Traceback" not in response.text and "disk on fire" not in response.text
