"""TEN-01 and TEN-02: accounts see only their own audiences; names are unique per account."""

from __future__ import annotations

import pytest
from reference_client import Client, Reference, assert_envelope, unique_name


@pytest.fixture
def pair(reference: Reference) -> tuple[Client, Client]:
    return reference.fresh_client(), reference.fresh_client()


def test_other_accounts_audience_is_not_found(pair: tuple[Client, Client]) -> None:
    """TEN-01: get, update, delete and contacts of another account's audience get 404 code 1301."""
    owner, other = pair
    audience = owner.create(contacts=[{"number": "+15550001"}])
    for method, suffix, body in (
        ("GET", "", None),
        ("PUT", "", {"data": {"name": unique_name()}}),
        ("DELETE", "", None),
        ("GET", "/contacts", None),
    ):
        assert_envelope(
            other.call(method, f"/v1/audiences/{audience['id']}{suffix}", json=body), 404, 1301
        )
    assert owner.call("GET", f"/v1/audiences/{audience['id']}").json()["data"] == audience


def test_other_accounts_audiences_are_never_listed(pair: tuple[Client, Client]) -> None:
    """TEN-01: the query operation lists the key's own account only, filtered or not."""
    owner, other = pair
    mine = owner.create(channel="VIBER")
    theirs = other.create(channel="VIBER")
    for query in ("", "?filter[channel]=VIBER", "?page_size=1"):
        assert [
            item["id"] for item in owner.call("GET", f"/v1/audiences{query}").json()["data"]
        ] == [mine["id"]]
        assert [
            item["id"] for item in other.call("GET", f"/v1/audiences{query}").json()["data"]
        ] == [theirs["id"]]


def test_same_name_in_two_accounts_is_allowed(pair: tuple[Client, Client]) -> None:
    """TEN-02: two accounts may each have an audience of the same name."""
    owner, other = pair
    name = unique_name()
    first, second = owner.create(name), other.create(name)
    assert first["name"] == second["name"] and first["id"] != second["id"]


def test_renaming_onto_another_accounts_name_is_allowed(pair: tuple[Client, Client]) -> None:
    """TEN-02: uniqueness is checked within the renaming account only."""
    owner, other = pair
    taken = other.create()["name"]
    audience = owner.create()
    assert (
        owner.call(
            "PUT", f"/v1/audiences/{audience['id']}", json={"data": {"name": taken}}
        ).status_code
        == 200
    )
