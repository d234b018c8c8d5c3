"""The section 6 code table (VAL-00, VAL-1301..1355) with its boundaries, VAL-01 and ROB-04."""

from __future__ import annotations

from typing import Any

import pytest
from reference_client import (
    Client,
    Json,
    assert_envelope,
    unique_name,
)


def contacts(count: int) -> list[Json]:
    return [{"number": f"+1555000{index:04d}"} for index in range(count)]


# One fault each, in an otherwise valid create body: (data, expected status, expected code).
CREATE_FAULTS: list[tuple[str, Any, int, int]] = [
    ("no body object", [], 400, 1303),
    ("data missing", {}, 400, 1303),
    ("data not an object", {"data": "name"}, 400, 1303),
    ("data null", {"data": None}, 400, 1303),
    ("name missing", {"data": {"channel": "SMS"}}, 400, 1303),
    ("name null", {"data": {"name": None, "channel": "SMS"}}, 400, 1303),
    ("name empty", {"data": {"name": "", "channel": "SMS"}}, 400, 1303),
    ("name a number", {"data": {"name": 12, "channel": "SMS"}}, 400, 1304),
    ("name a list", {"data": {"name": ["a"], "channel": "SMS"}}, 400, 1304),
    ("name with a space", {"data": {"name": "a b", "channel": "SMS"}}, 400, 1304),
    ("name with a dot", {"data": {"name": "a.b", "channel": "SMS"}}, 400, 1304),
    ("name non-ASCII letter", {"data": {"name": "caf\u00e9", "channel": "SMS"}}, 400, 1304),
    ("name Arabic digit", {"data": {"name": "a\u0663", "channel": "SMS"}}, 400, 1304),
    ("name with NUL", {"data": {"name": "a\u0000b", "channel": "SMS"}}, 400, 1304),
    ("name emoji", {"data": {"name": "\U0001f600", "channel": "SMS"}}, 400, 1304),
    ("name trailing newline", {"data": {"name": "abc\n", "channel": "SMS"}}, 400, 1304),
    ("name 46 characters", {"data": {"name": "n" * 46, "channel": "SMS"}}, 400, 1305),
    ("name 10000 characters", {"data": {"name": "n" * 10000, "channel": "SMS"}}, 400, 1305),
    ("channel missing", {"data": {"name": "ok"}}, 400, 1306),
    ("channel null", {"data": {"name": "ok", "channel": None}}, 400, 1306),
    ("channel lower case", {"data": {"name": "ok", "channel": "sms"}}, 400, 1307),
    ("channel mixed case", {"data": {"name": "ok", "channel": "Viber"}}, 400, 1307),
    ("channel unknown", {"data": {"name": "ok", "channel": "EMAIL"}}, 400, 1307),
    ("channel empty", {"data": {"name": "ok", "channel": ""}}, 400, 1307),
    ("channel a number", {"data": {"name": "ok", "channel": 1}}, 400, 1307),
    ("channel a list", {"data": {"name": "ok", "channel": ["SMS"]}}, 400, 1307),
    ("channel padded", {"data": {"name": "ok", "channel": " SMS"}}, 400, 1307),
    (
        "11 contacts",
        {"data": {"name": "ok", "channel": "SMS", "contacts": contacts(11)}},
        400,
        1308,
    ),
    (
        "contact without number",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"first_name": "A"}]}},
        400,
        1353,
    ),
    (
        "contact number null",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": None}]}},
        400,
        1353,
    ),
    (
        "number without plus",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "15550001"}]}},
        400,
        1354,
    ),
    (
        "number 6 digits",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "+123456"}]}},
        400,
        1354,
    ),
    (
        "number 16 digits",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "+1234567890123456"}]}},
        400,
        1354,
    ),
    (
        "number with a space",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "+1555 0001"}]}},
        400,
        1354,
    ),
    (
        "number Arabic digits",
        {
            "data": {
                "name": "ok",
                "channel": "SMS",
                "contacts": [{"number": "+\u0661\u0662\u0663\u0664\u0665\u0666\u0667"}],
            }
        },
        400,
        1354,
    ),
    (
        "number trailing newline",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "+15550001\n"}]}},
        400,
        1354,
    ),
    (
        "number an integer",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": 15550001}]}},
        400,
        1354,
    ),
    (
        "number 46 characters",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "+" + "1" * 45}]}},
        400,
        1355,
    ),
    (
        "number 46 letters",
        {"data": {"name": "ok", "channel": "SMS", "contacts": [{"number": "x" * 46}]}},
        400,
        1355,
    ),
    ("contacts null", {"data": {"name": "ok", "channel": "SMS", "contacts": None}}, 400, 1008),
    (
        "contacts an object",
        {"data": {"name": "ok", "channel": "SMS", "contacts": {"number": "+15550001"}}},
        400,
        1008,
    ),
    (
        "contact a string",
        {"data": {"name": "ok", "channel": "SMS", "contacts": ["+15550001"]}},
        400,
        1008,
    ),
    (
        "first_name a number",
        {
            "data": {
                "name": "ok",
                "channel": "SMS",
                "contacts": [{"number": "+15550001", "first_name": 5}],
            }
        },
        400,
        1008,
    ),
    (
        "last_name an object",
        {
            "data": {
                "name": "ok",
                "channel": "SMS",
                "contacts": [{"number": "+15550001", "last_name": {}}],
            }
        },
        400,
        1008,
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [case[1:] for case in CREATE_FAULTS],
    ids=[case[0] for case in CREATE_FAULTS],
)
def test_create_with_one_fault_gets_its_code_and_creates_nothing(
    client: Client, body: Any, status: int, code: int
) -> None:
    """VAL-00 and VAL-01: the table's status and code, and the account still has no audience."""
    assert_envelope(client.call("POST", "/v1/audiences", json=body), status, code)
    assert client.call("GET", "/v1/audiences").json()["pagination"]["total"] == 0


def test_several_faults_report_each_code(client: Client) -> None:
    """VAL-00: with several faults the envelope names each of them."""
    response = client.call(
        "POST",
        "/v1/audiences",
        json={"data": {"name": "n" * 46, "channel": "EMAIL", "contacts": contacts(11)}},
    )
    assert_envelope(response, 400)
    assert sorted(item["code"] for item in response.json()["errors"]) == [1305, 1307, 1308]


@pytest.mark.parametrize(
    "data",
    [
        {"name": "n" * 45, "channel": "SMS"},
        {"name": "A-z_0-9", "channel": "VIBER"},
        {"name": "w", "channel": "WHATSAPP", "contacts": contacts(10)},
        {"name": "c", "channel": "SMS", "contacts": []},
        {
            "name": "e",
            "channel": "SMS",
            "contacts": [
                {"number": "+1234567"},
                {"number": "+123456789012345", "first_name": None, "last_name": "L"},
            ],
        },
        {"name": "x", "channel": "SMS", "extra": {"ignored": True}},
    ],
    ids=[
        "name 45 characters",
        "every allowed character",
        "10 contacts",
        "no contacts",
        "number bounds",
        "unknown field",
    ],
)
def test_boundary_values_are_valid(client: Client, data: Json) -> None:
    """VAL-1305/1308/1354 boundaries: 45 characters, 10 contacts, 7 and 15 digits are accepted."""
    response = client.call("POST", "/v1/audiences", json={"data": data})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["contacts_count"] == len(data.get("contacts", []))


def test_create_with_a_taken_name_conflicts(client: Client) -> None:
    """VAL-1309: a second audience of the same name gets 409, and only the first exists."""
    name = unique_name()
    client.create(name, "SMS")
    assert_envelope(
        client.call("POST", "/v1/audiences", json={"data": {"name": name, "channel": "VIBER"}}),
        409,
        1309,
    )
    assert client.call("GET", "/v1/audiences").json()["pagination"]["total"] == 1


def test_rename_to_a_taken_name_conflicts_and_changes_nothing(client: Client) -> None:
    """VAL-1309 and VAL-01: renaming onto another audience's name gets 409 and renames nothing."""
    first, second = client.create(), client.create()
    assert_envelope(
        client.call("PUT", f"/v1/audiences/{second['id']}", json={"data": {"name": first["name"]}}),
        409,
        1309,
    )
    assert (
        client.call("GET", f"/v1/audiences/{second['id']}").json()["data"]["name"] == second["name"]
    )


def test_rename_to_its_own_name_is_fine(client: Client) -> None:
    """VAL-1309 is about another audience: keeping one's own name is not a conflict."""
    audience = client.create()
    response = client.call(
        "PUT", f"/v1/audiences/{audience['id']}", json={"data": {"name": audience["name"]}}
    )
    assert response.status_code == 200 and response.json()["data"]["name"] == audience["name"]


UPDATE_FAULTS: list[tuple[str, Any, int]] = [
    ("data missing", {}, 1303),
    ("data a list", {"data": []}, 1303),
    ("name missing", {"data": {"channel": "SMS"}}, 1303),
    ("name null", {"data": {"name": None}}, 1303),
    ("name empty", {"data": {"name": ""}}, 1303),
    ("name a boolean", {"data": {"name": True}}, 1304),
    ("name with a slash", {"data": {"name": "a/b"}}, 1304),
    ("name 46 characters", {"data": {"name": "n" * 46}}, 1305),
]


@pytest.mark.parametrize(
    ("body", "code"), [case[1:] for case in UPDATE_FAULTS], ids=[case[0] for case in UPDATE_FAULTS]
)
def test_update_with_one_fault_gets_its_code_and_renames_nothing(
    client: Client, body: Any, code: int
) -> None:
    """VAL-00 and VAL-01 for update: 400 with the table's code, the audience unchanged."""
    audience = client.create()
    assert_envelope(client.call("PUT", f"/v1/audiences/{audience['id']}", json=body), 400, code)
    assert client.call("GET", f"/v1/audiences/{audience['id']}").json()["data"] == audience


def test_update_without_a_body_is_missing_data(client: Client) -> None:
    """VAL-1303: an update with no body at all has no 'data'."""
    audience = client.create()
    assert_envelope(client.call("PUT", f"/v1/audiences/{audience['id']}"), 400, 1303)


MALFORMED_IDS = [
    "a%20b",
    "a%0Ab",
    "a%0A%20",
    "%0D%0A",
    "a%2Fb",
    "a.b",
    "%C3%A9t%C3%A9",
    "x" * 65,
    "a%00b",
    "%F0%9F%98%80",
    "a+b",
    "a%2Fcontacts",
    "a/b",
    "%25",
]


# Every route of one audience: (method, path after its id, body).
ITEM_ROUTES: list[tuple[str, str, Json | None]] = [
    ("GET", "", None),
    ("PUT", "", {"data": {"name": "ok"}}),
    ("DELETE", "", None),
    ("GET", "/contacts", None),
]


@pytest.mark.parametrize("audience_id", MALFORMED_IDS)
@pytest.mark.parametrize(("method", "suffix", "body"), ITEM_ROUTES)
def test_malformed_id_gets_1302(
    client: Client, audience_id: str, method: str, suffix: str, body: Json | None
) -> None:
    """VAL-1302: an id outside ^[A-Za-z0-9_-]{1,64}$ gets 400 with code 1302 on every item route."""
    assert_envelope(
        client.call(method, f"/v1/audiences/{audience_id}{suffix}", json=body), 400, 1302
    )


def test_empty_id_after_a_trailing_slash_is_malformed(client: Client) -> None:
    """VAL-1302: '/v1/audiences/' names the empty id, which is malformed."""
    assert_envelope(client.call("GET", "/v1/audiences/"), 400, 1302)


@pytest.mark.parametrize("audience_id", ["x" * 64, "0", "unknown-id_1", "contacts"])
@pytest.mark.parametrize(("method", "suffix", "body"), ITEM_ROUTES)
def test_unknown_well_formed_id_gets_1301(
    client: Client, audience_id: str, method: str, suffix: str, body: Json | None
) -> None:
    """VAL-1301: a well-formed id that does not exist gets 404 with code 1301 (64 characters is well-formed)."""
    assert_envelope(
        client.call(method, f"/v1/audiences/{audience_id}{suffix}", json=body), 404, 1301
    )
