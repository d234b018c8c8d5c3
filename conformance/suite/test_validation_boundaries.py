"""The table's boundaries seen from the valid side: what a server must accept (CRUD-01, VAL-13xx).

A suite that only probes refusals cannot tell a conformant server from one that refuses too
much. Each test here sends a valid request at the edge of a row of the table; a refusal fails
the operation's rule, CRUD-01 for a create and CRUD-03 for an update, whatever code came back
(the row's code names a fault the request does not have), and so does a wrong answer to an
accepted request. What a test creates it deletes again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import valid_data
from conformance.checks.client import (
    audience_path,
    create_audience,
    delete_audience,
    expect_accepted,
)
from conformance.contract import facts
from conformance.contract.facts import AUDIENCES_PATH, CHANNELS
from conformance.http.ledger import Namer
from conformance.http.target import Target
from conformance.run.session import current
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh


def expect_fields(
    audience: Mapping[str, Any], response: requests.Response, rule: str, **expected: Any
) -> None:
    for field, value in expected.items():
        check(
            audience.get(field) == value,
            rule,
            expected=f"{field} {value!r}, as sent",
            received=audience.get(field),
            response=response,
        )


def created(target: Target, data: dict[str, Any], *, boundary: str) -> dict[str, Any]:
    """Create, expect 201 with what was sent (CRUD-01), and delete again."""
    response = target.post(AUDIENCES_PATH, json={"data": data})
    audience = expect_accepted(response, status=201, what=boundary, rule="CRUD-01")
    delete_audience(target, audience["id"])
    expect_fields(audience, response, "CRUD-01", name=data["name"], channel=data["channel"])
    if "contacts_count" in audience:
        expect_fields(audience, response, "CRUD-01", contacts_count=len(data.get("contacts", [])))
    return audience


@pytest.mark.writes
@pytest.mark.rule("VAL-1305", "VAL-1304", "CRUD-01")
@given(name=valid_data.valid_names(FRESH, length=facts.NAME_LIMIT), channel=valid_data.channels())
def test_a_name_of_exactly_45_characters_is_accepted(
    target: Target, name: str, channel: str
) -> None:
    """VAL-1305: 45 allowed characters, any mix of case, '-' and '_', is a valid name."""
    created(
        target, {"name": name, "channel": channel}, boundary=f"a name of 45 characters ({name!r})"
    )


ALPHABET_PARTS = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789-_",
    "-",
    "_",
    "-_-_",
)


@pytest.mark.writes
@pytest.mark.rule("VAL-1304", "CRUD-01")
@pytest.mark.parametrize("part", ALPHABET_PARTS)
def test_every_allowed_character_is_accepted(target: Target, namer: Namer, part: str) -> None:
    """VAL-1304: ASCII letters of both cases, digits, '-' and '_' (also at the end) are valid."""
    name = namer.fresh() + part
    created(target, {"name": name, "channel": "SMS"}, boundary=f"the name {name!r}")


@pytest.mark.writes
@pytest.mark.rule("VAL-1307", "CRUD-01")
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_is_accepted(target: Target, namer: Namer, channel: str) -> None:
    """VAL-1307: each of SMS, VIBER and WHATSAPP is a valid channel, answered as sent."""
    created(target, {"name": namer.fresh(), "channel": channel}, boundary=f"the channel {channel}")


@pytest.mark.writes
@pytest.mark.rule("VAL-1308", "CRUD-01")
@given(
    contacts=valid_data.contact_lists(facts.CONTACTS_LIMIT, facts.CONTACTS_LIMIT),
    channel=valid_data.channels(),
)
def test_exactly_10_contacts_are_accepted(
    target: Target, contacts: list[dict[str, Any]], channel: str
) -> None:
    """VAL-1308: a list of exactly 10 valid contacts is valid; contacts_count, when present, is 10."""
    created(
        target,
        {"name": FRESH(), "channel": channel, "contacts": contacts},
        boundary="a list of 10 contacts",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1354", "CRUD-01")
@pytest.mark.parametrize("number", ["+1234567", "+123456789012345", "+0000000", "+999999999999999"])
def test_numbers_of_7_and_15_digits_are_accepted(target: Target, namer: Namer, number: str) -> None:
    """VAL-1354: '+' and 7 digits, and '+' and 15 digits, are valid contact numbers."""
    data = {"name": namer.fresh(), "channel": "SMS", "contacts": [{"number": number}]}
    created(target, data, boundary=f"the contact number {number!r}")


@pytest.mark.writes
@pytest.mark.rule("VAL-1308", "CRUD-01")
@pytest.mark.parametrize("contacts", [[], None], ids=["empty", "absent"])
def test_no_contacts_are_accepted(target: Target, namer: Namer, contacts: list[Any] | None) -> None:
    """VAL-1308: contacts are optional; an empty list is valid too (contacts_count, when present, is 0)."""
    data: dict[str, Any] = {"name": namer.fresh(), "channel": "VIBER"}
    if contacts is not None:
        data["contacts"] = contacts
    created(target, data, boundary="no contacts" if contacts is None else "an empty contacts list")


@pytest.mark.writes
@pytest.mark.rule("VAL-1309", "CRUD-01")
def test_the_name_of_a_deleted_audience_is_free(target: Target, namer: Namer) -> None:
    """VAL-1309: only another existing audience takes a name; once deleted, its name can be used again."""
    name = namer.fresh()
    first = create_audience(target, name, "SMS")
    deleted = delete_audience(target, first["id"])
    # CRUD-05: deleting what was just created is a valid delete; a refusal fails it, not a skip.
    check(
        deleted.status_code == 204,
        "CRUD-05",
        expected="204 for the delete of an audience just created",
        received=f"HTTP {deleted.status_code}",
        response=deleted,
    )
    created(
        target, {"name": name, "channel": "WHATSAPP"}, boundary="the name of a deleted audience"
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1309", "CRUD-03")
def test_renaming_to_its_own_name_is_accepted(target: Target, namer: Namer) -> None:
    """VAL-1309: no other audience has an audience's own name, so renaming to it is valid."""
    audience = create_audience(target, namer.fresh(), "SMS")
    response = target.put(audience_path(audience["id"]), json={"data": {"name": audience["name"]}})
    renamed = expect_accepted(response, status=200, what="an audience's own name", rule="CRUD-03")
    delete_audience(target, audience["id"])
    expect_fields(renamed, response, "CRUD-03", id=audience["id"], name=audience["name"])


@pytest.mark.writes
@pytest.mark.rule("VAL-1305", "VAL-1304", "CRUD-03")
@given(name=valid_data.valid_names(FRESH, length=facts.NAME_LIMIT))
def test_renaming_to_45_characters_is_accepted(
    target: Target, renamable: dict[str, Any], name: str
) -> None:
    """VAL-1305: an update to a name of exactly 45 allowed characters is valid."""
    response = target.put(audience_path(renamable["id"]), json={"data": {"name": name}})
    renamed = expect_accepted(
        response, status=200, what=f"a name of 45 characters ({name!r})", rule="CRUD-03"
    )
    expect_fields(renamed, response, "CRUD-03", id=renamable["id"], name=name)


@pytest.fixture(scope="module")
def renamable(target: Target, writable: None) -> dict[str, Any]:
    return create_audience(target, FRESH(), "WHATSAPP")


@pytest.mark.writes
@pytest.mark.rule("VAL-1304", "VAL-1305", "VAL-1308", "CRUD-01")
@pytest.mark.rule("VAL-1353", "VAL-1354", "VAL-1355")
@given(
    name=valid_data.valid_names(FRESH),
    contacts=st.none() | valid_data.contact_lists(),
    channel=valid_data.channels(),
)
def test_valid_creates_are_accepted(
    target: Target, name: str, contacts: list[dict[str, Any]] | None, channel: str
) -> None:
    """VAL-1304, CRUD-01: any name of allowed characters up to 45, with up to 10 valid contacts, is created as sent."""
    data: dict[str, Any] = {"name": name, "channel": channel}
    if contacts is not None:
        data["contacts"] = contacts
    created(target, data, boundary=f"the name {name!r} with {len(contacts or [])} contacts")
