"""CRUD-01..06, AUD-01, DATE-01/02 and JSON-01 on the reference server."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from reference_client import (
    DATE_TEXT,
    Client,
    Json,
    assert_envelope,
    unique_name,
)

from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store

AUDIENCE_FIELDS = {
    "id": str,
    "account_id": str,
    "name": str,
    "channel": str,
    "create_date": str,
    "update_date": str,
    "contacts_count": int,
    "links": dict,
}
CONTACT_FIELDS = {
    "id",
    "account_id",
    "audience_id",
    "number",
    "first_name",
    "last_name",
    "create_date",
    "update_date",
}


def assert_audience(audience: Json) -> None:
    """AUD-01 and DATE-01: every field with its type, dates real UTC times in the contract's format."""
    for name, kind in AUDIENCE_FIELDS.items():
        assert isinstance(audience[name], kind), f"{name}: {audience.get(name)!r}"
    for name in ("create_date", "update_date"):
        assert DATE_TEXT.fullmatch(audience[name])
        datetime.strptime(audience[name], "%Y-%m-%d %H:%M:%S")
    assert audience["update_date"] >= audience["create_date"]


def test_create_answers_201_with_the_new_audience(client: Client) -> None:
    """CRUD-01: name and channel as sent, the key's account, contacts_count as sent, DATE-02 now."""
    name = unique_name()
    response = client.call(
        "POST",
        "/v1/audiences",
        json={
            "data": {
                "name": name,
                "channel": "VIBER",
                "contacts": [{"number": "+15550001"}, {"number": "+15550002"}],
            }
        },
    )
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    audience = response.json()["data"]
    assert_audience(audience)
    assert (
        audience["name"],
        audience["channel"],
        audience["account_id"],
        audience["contacts_count"],
    ) == (name, "VIBER", client.account_id, 2)
    created = datetime.strptime(audience["create_date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)
    assert audience["links"]["self"] == f"{client.base_url}/v1/audiences/{audience['id']}"


def test_ids_are_unique_and_well_formed(client: Client) -> None:
    """Section 1: each new audience gets its own id within the identifier pattern."""
    ids = [client.create()["id"] for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(
        len(audience_id) <= 64
        and audience_id.replace("-", "").replace("_", "").isalnum()
        and audience_id.isascii()
        for audience_id in ids
    )


def test_get_returns_the_created_audience_and_the_list_shows_it(client: Client) -> None:
    """CRUD-02: get by id returns the same audience; the list shows it with and without its channel filter."""
    audience = client.create(channel="WHATSAPP")
    response = client.call("GET", f"/v1/audiences/{audience['id']}")
    assert response.status_code == 200 and response.json() == {"data": audience}
    for query in ("", "?filter[channel]=WHATSAPP"):
        assert audience in client.call("GET", f"/v1/audiences{query}").json()["data"]


def test_update_changes_the_name_and_nothing_else(client: Client) -> None:
    """CRUD-03: id, account, channel and create_date stay; a channel in the body is ignored."""
    audience = client.create(channel="SMS")
    name = unique_name("renamed")
    response = client.call(
        "PUT", f"/v1/audiences/{audience['id']}", json={"data": {"name": name, "channel": "VIBER"}}
    )
    assert response.status_code == 200
    updated = response.json()["data"]
    assert_audience(updated)
    assert updated["name"] == name
    for field in ("id", "account_id", "channel", "create_date", "contacts_count"):
        assert updated[field] == audience[field]
    assert updated["update_date"] >= audience["update_date"]
    assert client.call("GET", f"/v1/audiences/{audience['id']}").json()["data"] == updated


def test_update_ignores_an_invalid_channel(client: Client) -> None:
    """CRUD-03: the channel of an update body is ignored, whatever it holds."""
    audience = client.create()
    response = client.call(
        "PUT",
        f"/v1/audiences/{audience['id']}",
        json={"data": {"name": unique_name(), "channel": "EMAIL", "contacts": "ignored"}},
    )
    assert response.status_code == 200 and response.json()["data"]["channel"] == audience["channel"]


def test_delete_answers_204_and_the_audience_is_gone(client: Client) -> None:
    """CRUD-05 and JSON-01: 204 without body or content type; then 404/1301 everywhere, not listed."""
    audience = client.create(contacts=[{"number": "+15550001"}])
    response = client.call("DELETE", f"/v1/audiences/{audience['id']}")
    assert response.status_code == 204
    assert response.content == b"" and "content-type" not in response.headers
    for method, suffix, body in (
        ("GET", "", None),
        ("PUT", "", {"data": {"name": "x"}}),
        ("DELETE", "", None),
        ("GET", "/contacts", None),
    ):
        assert_envelope(
            client.call(method, f"/v1/audiences/{audience['id']}{suffix}", json=body), 404, 1301
        )
    assert client.call("GET", "/v1/audiences").json()["pagination"]["total"] == 0


def test_a_deleted_name_can_be_used_again(client: Client) -> None:
    """VAL-1309 concerns existing audiences only; the new one gets a new id."""
    audience = client.create()
    client.call("DELETE", f"/v1/audiences/{audience['id']}")
    again = client.create(audience["name"])
    assert again["id"] != audience["id"]


def test_head_answers_like_get_without_a_body(client: Client) -> None:
    """HEAD is served wherever GET is."""
    audience = client.create()
    response = client.call("HEAD", f"/v1/audiences/{audience['id']}")
    assert response.status_code == 200 and response.content == b""


def test_contacts_are_listed_as_given_at_create(client: Client) -> None:
    """CRUD-06: every contact, in the order given, with the contract's fields; missing names are ''."""
    given: list[Json] = [
        {"number": "+15550001", "first_name": "Ann", "last_name": "Lee"},
        {"number": "+15550002"},
        {"number": "+15550003", "first_name": None},
    ]
    audience = client.create(contacts=given)
    pages = client.walk(f"/v1/audiences/{audience['id']}/contacts")
    contacts = [contact for page in pages for contact in page["data"]]
    assert [contact["number"] for contact in contacts] == ["+15550001", "+15550002", "+15550003"]
    assert [(contact["first_name"], contact["last_name"]) for contact in contacts] == [
        ("Ann", "Lee"),
        ("", ""),
        ("", ""),
    ]
    for contact in contacts:
        assert set(contact) == CONTACT_FIELDS
        assert (contact["account_id"], contact["audience_id"]) == (
            client.account_id,
            audience["id"],
        )
        assert DATE_TEXT.fullmatch(contact["create_date"]) and DATE_TEXT.fullmatch(
            contact["update_date"]
        )
    assert len({contact["id"] for contact in contacts}) == 3


def test_contacts_keep_unicode_names(client: Client) -> None:
    """Contact names are free text: non-ASCII letters and emoji come back unchanged."""
    audience = client.create(
        contacts=[
            {"number": "+15550001", "first_name": "Zo\u00eb", "last_name": "\U0001f600 \u4e2d"}
        ]
    )
    contact = client.call("GET", f"/v1/audiences/{audience['id']}/contacts").json()["data"][0]
    assert (contact["first_name"], contact["last_name"]) == ("Zo\u00eb", "\U0001f600 \u4e2d")


def test_contact_search_matches_number_and_names_case_insensitively(client: Client) -> None:
    """CRUD-06: filter[search] keeps contacts whose number, first or last name contains the text."""
    audience = client.create(
        contacts=[
            {"number": "+15550001", "first_name": "Maria", "last_name": "Lopez"},
            {"number": "+15550002", "first_name": "Omar", "last_name": "MARTIN"},
            {"number": "+44770099", "first_name": "Zo\u00cb", "last_name": "Ng"},
        ]
    )
    path = f"/v1/audiences/{audience['id']}/contacts"

    def numbers(search: str) -> list[str]:
        page = client.call("GET", path, params={"filter[search]": search}).json()
        assert page["pagination"]["total"] == len(page["data"])
        return [contact["number"] for contact in page["data"]]

    assert numbers("mar") == ["+15550001", "+15550002"]
    assert numbers("LOPEZ") == ["+15550001"]
    assert numbers("+4477") == ["+44770099"]
    assert numbers("zo\u00eb") == ["+44770099"]
    assert numbers("nobody") == []
    assert numbers("") == ["+15550001", "+15550002", "+44770099"]


def test_contacts_of_another_audience_are_not_mixed_in(client: Client) -> None:
    """CRUD-06: each audience lists its own contacts only."""
    first = client.create(contacts=[{"number": "+15550001"}])
    second = client.create(contacts=[{"number": "+15550002"}])
    for audience, number in ((first, "+15550001"), (second, "+15550002")):
        page = client.call("GET", f"/v1/audiences/{audience['id']}/contacts").json()
        assert [contact["number"] for contact in page["data"]] == [number]


def test_update_date_moves_forward_when_time_has_passed() -> None:
    """CRUD-04: with a clock one second later, update sets a later update_date and keeps create_date."""
    times = (f"2026-01-01 00:00:{second:02d}" for second in itertools.count())
    store = Store(":memory:", clock=lambda: next(times))
    key = generate_key()
    with ReferenceServer(create_app(store, {key: "acct"})) as server:
        client = Client(server.base_url, key, "acct")
        audience = client.create()
        updated = client.call(
            "PUT", f"/v1/audiences/{audience['id']}", json={"data": {"name": unique_name()}}
        ).json()["data"]
        client.close()
    store.close()
    assert (audience["create_date"], audience["update_date"]) == (
        "2026-01-01 00:00:00",
        "2026-01-01 00:00:00",
    )
    assert (updated["create_date"], updated["update_date"]) == (
        "2026-01-01 00:00:00",
        "2026-01-01 00:00:01",
    )


def test_update_date_never_goes_back() -> None:
    """CRUD-03: a clock that steps back does not move update_date back."""
    times = iter(["2026-01-01 00:00:10", "2026-01-01 00:00:05"])
    store = Store(":memory:", clock=lambda: next(times))
    record = store.create_audience("acct", "n", "SMS", [])
    renamed = store.rename_audience("acct", record.id, "m")
    store.close()
    assert renamed is not None and renamed.update_date == "2026-01-01 00:00:10"
