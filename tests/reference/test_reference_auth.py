"""AUTH-01 and the key module: the key is checked first, on every path, and never echoed."""

from __future__ import annotations

import pytest
import requests
from reference_client import Reference, assert_envelope, raw_request

from conformance.reference.keys import KeyRing, generate_key, parse_key_spec

REQUESTS_WITH_OTHER_FAULTS: list[tuple[str, str, dict[str, object]]] = [
    ("GET", "/v1/audiences", {}),
    ("GET", "/v1/audiences?page_size=0", {}),
    (
        "POST",
        "/v1/audiences",
        {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
    ),
    ("POST", "/v1/audiences", {"json": {"data": {}}}),
    ("POST", "/v1/audiences", {"data": b"text", "headers": {"Content-Type": "text/plain"}}),
    ("POST", "/v1/audiences", {"data": b"x" * (2 * 1024 * 1024)}),
    ("PATCH", "/v1/audiences", {}),
    ("GET", "/v1/audiences/not%20an%20id", {}),
    ("GET", "/v1/audiences/0123456789abcdef", {}),
    ("PUT", "/v1/audiences/0123456789abcdef", {"json": {"data": {"name": ""}}}),
    ("DELETE", "/v1/audiences/0123456789abcdef", {}),
    ("GET", "/v1/audiences/0123456789abcdef/contacts", {}),
    ("GET", "/no/such/route", {}),
]


@pytest.mark.parametrize(("method", "path", "extra"), REQUESTS_WITH_OTHER_FAULTS)
def test_missing_key_is_refused_before_anything_else(
    reference: Reference, method: str, path: str, extra: dict[str, object]
) -> None:
    """AUTH-01: without a key every request gets 401, whatever else is wrong with it."""
    response = requests.request(method, reference.base_url + path, timeout=10, **extra)  # type: ignore[arg-type]
    assert_envelope(response, 401, 1001)


@pytest.mark.parametrize("value", ["", "   ", "\t", "not-a-key", "x" * 5000])
def test_empty_blank_or_unknown_key_is_refused(reference: Reference, value: str) -> None:
    """AUTH-01: an empty, whitespace-only or unknown key gets 401 with the envelope."""
    response = raw_request(
        reference.base_url,
        "POST",
        "/v1/audiences",
        [("X-Dexatel-Key", value), ("Content-Type", "application/json")],
        b"{}",
    )
    assert response.status == 401
    assert response.headers["content-type"].startswith("application/json")
    assert [item["code"] for item in response.json()["errors"]] == [1001]


def test_key_surrounded_by_spaces_is_the_key(reference: Reference) -> None:
    """HTTP trims whitespace around header values, so a padded known key still passes."""
    client = reference.fresh_client()
    response = raw_request(
        reference.base_url, "GET", "/v1/audiences", [("X-Dexatel-Key", f"  {client.key} ")]
    )
    assert response.status == 200


def test_two_key_headers_are_refused(reference: Reference) -> None:
    """AUTH-01: a request naming two keys is not authenticated as either account."""
    first, second = reference.fresh_client(), reference.fresh_client()
    response = raw_request(
        reference.base_url,
        "GET",
        "/v1/audiences",
        [("X-Dexatel-Key", first.key), ("X-Dexatel-Key", second.key)],
    )
    assert response.status == 401


def test_key_with_changed_letter_case_is_refused(reference: Reference) -> None:
    """AUTH-01: keys are compared exactly."""
    client = reference.fresh_client()
    response = requests.get(
        reference.base_url + "/v1/audiences",
        headers={"X-Dexatel-Key": client.key.upper()},
        timeout=10,
    )
    assert_envelope(response, 401, 1001)


def test_known_key_is_accepted(reference: Reference) -> None:
    """AUTH-01: a known key passes, and its account owns what it creates."""
    client = reference.fresh_client()
    assert client.call("GET", "/v1/audiences").status_code == 200
    assert client.create()["account_id"] == client.account_id


def test_refusal_never_echoes_the_key(reference: Reference) -> None:
    """The 401 answer does not repeat the key that was presented."""
    secret = "presented-" + generate_key()
    response = requests.get(
        reference.base_url + "/v1/audiences", headers={"X-Dexatel-Key": secret}, timeout=10
    )
    assert response.status_code == 401 and secret not in response.text


def test_generated_keys_are_random_hex() -> None:
    """generate_key gives 32 hex characters, different every time."""
    keys = {generate_key() for _ in range(20)}
    assert len(keys) == 20 and all(len(key) == 32 and int(key, 16) >= 0 for key in keys)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("abc=acct", ("abc", "acct")),
        ("a2V5==acct-1", ("a2V5=", "acct-1")),
        ("k=team a ", ("k", "team a")),
    ],
)
def test_key_spec_is_split_at_its_last_equals_sign(spec: str, expected: tuple[str, str]) -> None:
    """parse_key_spec keeps base64 padding in the key and trims the account."""
    assert parse_key_spec(spec) == expected


@pytest.mark.parametrize(
    "spec", ["no-separator", "=acct", "key=", "key=  ", "bad key=acct", "tab\tkey=acct"]
)
def test_bad_key_spec_is_refused_without_echoing_the_key(spec: str) -> None:
    """parse_key_spec raises ValueError with a message that does not contain the key."""
    with pytest.raises(ValueError) as raised:
        parse_key_spec(spec)
    key = spec.rpartition("=")[0]
    assert "KEY=ACCOUNT" in str(raised.value)
    if len(key) > 3:
        assert key not in str(raised.value)


def test_empty_key_in_the_map_never_authenticates() -> None:
    """KeyRing ignores an empty key, so an empty header can never pass."""
    ring = KeyRing({"": "ghost", "real": "acct"})
    assert ring.account_for(b"") is None
    assert ring.account_for(b"real") == "acct"
    assert ring.account_for(b"rea") is None
