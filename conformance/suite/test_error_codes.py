"""The code table of section 6: one fault, the table's status and code (VAL-00, VAL-1301..VAL-1355).

Each row is a property over its whole fault class (see :mod:`conformance.checks.faults`); each
test speaks for its row's rule and for VAL-00 (at the row's level: VAL-00 of a SHOULD row
is a SHOULD). VAL-01 (a rejected request changes nothing) is checked in
``test_error_codes_change_nothing.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import identifiers, valid_data
from conformance.checks.client import audience_path
from conformance.checks.faults import Fault
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.http.write_guard import ABSENT_SHAPES
from conformance.suite.code_table import (
    CREATE_FAULTS,
    FRESH,
    RUN,
    UPDATE_FAULTS,
    expect_table_answer,
    rows,
    send_body,
)

METHODS = [
    pytest.param("GET", id="get"),
    pytest.param("PUT", id="update", marks=pytest.mark.writes),
    pytest.param("DELETE", id="delete", marks=pytest.mark.writes),
]


# -- identifiers ----------------------------------------------------------------------


@pytest.mark.rule("VAL-1301")
@pytest.mark.rule("VAL-00")
@pytest.mark.parametrize("method", METHODS)
@given(identifier=identifiers.well_formed_ids(), shape=st.sampled_from(ABSENT_SHAPES))
def test_unknown_id_answers_1301(method: str, target: Target, identifier: str, shape: str) -> None:
    """VAL-1301: get, update or delete of a well-formed id the account does not have: 404, code 1301.

    1. Get: the drawn id. One that exists after all (200) gives way to an id of the drawn shape
       minted to be absent (drawn at random, so no server holds it): its 200 is a failure.
    2. Update (a valid body) and delete: only ids minted to be absent, known absent, never probed.
    3. Expect 404 with code 1301.
    """
    if method == "GET":
        response = target.get(identifiers.id_path(identifier))
        if response.status_code == 200:
            identifier = RUN.guard.mint_absent(shape)
            response = target.get(identifiers.id_path(identifier))
    else:
        # A write reaches only what the run created: an id of the drawn shape, minted to be absent.
        identifier = RUN.guard.mint_absent(shape)
        response = target.request(
            method,
            identifiers.id_path(identifier),
            json={"data": {"name": FRESH()}} if method == "PUT" else None,
        )
    expect_table_answer(
        response,
        rule="VAL-1301",
        status=404,
        codes=frozenset({1301}),
        context=f"{method} of the unknown id {identifier!r}",
    )


@pytest.mark.rule("VAL-1302")
@pytest.mark.rule("VAL-00")
@pytest.mark.parametrize("method", METHODS)
@given(identifier=identifiers.malformed_ids())
def test_malformed_id_answers_1302(method: str, target: Target, identifier: str) -> None:
    """VAL-1302: get, update or delete of an id outside ^[A-Za-z0-9_-]{1,64}$: 400, code 1302."""
    RUN.guard.mint_malformed(identifier)
    body = {"data": {"name": FRESH()}} if method == "PUT" else None
    response = target.request(method, identifiers.id_path(identifier), json=body)
    expect_table_answer(
        response,
        rule="VAL-1302",
        status=400,
        codes=frozenset({1302}),
        context=f"{method} of the malformed id {identifier!r}",
    )


ENCODED_SLASH_IDS = ("a/b", "x/contacts", "/", "abc/", "/abc", "a//b", "v1/audiences")
# For writes, each shape starts from an id minted to be absent: a server that decodes the slash
# and routes the parts must find nothing of anybody's there either.
ABSENT = RUN.guard.mint_absent()
ENCODED_SLASH_WRITE_IDS = tuple(
    RUN.guard.mint_malformed(text)
    for text in (
        f"{ABSENT}/b",
        f"{ABSENT}/contacts",
        f"/{ABSENT}",
        f"{ABSENT}/",
        f"{ABSENT}//b",
        f"{ABSENT}/v1/audiences",
    )
)


@pytest.mark.rule("VAL-1302")
@pytest.mark.rule("VAL-00")
@pytest.mark.parametrize("method", METHODS)
def test_encoded_slash_in_id_answers_1302(method: str, target: Target) -> None:
    """VAL-1302: an id with a slash, sent percent-encoded (%2F), is one malformed id, not a path."""
    for identifier in ENCODED_SLASH_IDS if method == "GET" else ENCODED_SLASH_WRITE_IDS:
        body = {"data": {"name": FRESH()}} if method == "PUT" else None
        response = target.request(method, identifiers.id_path(identifier), json=body)
        expect_table_answer(
            response,
            rule="VAL-1302",
            status=400,
            codes=frozenset({1302}),
            context=f"{method} of the id {identifier!r} sent as {identifiers.id_path(identifier)}",
        )


# -- bodies ---------------------------------------------------------------------------


@pytest.mark.writes
@pytest.mark.parametrize("code", rows(sorted(CREATE_FAULTS)))
@given(data=st.data(), raw_utf8=st.booleans())
def test_create_with_one_fault_answers_its_code(
    code: int, target: Target, data: st.DataObject, raw_utf8: bool
) -> None:
    """A create body with exactly one fault of the row gets the row's status and code."""
    fault: Fault = data.draw(CREATE_FAULTS[code], label="fault")
    response = send_body(target, "POST", AUDIENCES_PATH, fault.body, raw_utf8=raw_utf8)
    expect_table_answer(
        response,
        rule=fault.rule,
        status=fault.status,
        codes=fault.codes,
        context=f"create with {fault.what}",
    )


@pytest.mark.writes
@pytest.mark.parametrize("code", rows(sorted(UPDATE_FAULTS)))
@given(data=st.data(), raw_utf8=st.booleans())
def test_update_with_one_fault_answers_its_code(
    code: int, target: Target, updated_audience: dict[str, Any], data: st.DataObject, raw_utf8: bool
) -> None:
    """An update body with exactly one fault of the row, sent to an existing audience, gets the row's answer."""
    fault: Fault = data.draw(UPDATE_FAULTS[code], label="fault")
    response = send_body(
        target, "PUT", audience_path(updated_audience["id"]), fault.body, raw_utf8=raw_utf8
    )
    expect_table_answer(
        response,
        rule=fault.rule,
        status=fault.status,
        codes=fault.codes,
        context=f"update with {fault.what}",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1309")
@pytest.mark.rule("VAL-00")
@given(body=valid_data.create_bodies(FRESH))
def test_create_with_a_taken_name_answers_1309(
    target: Target, taken_audience: dict[str, Any], body: dict[str, Any]
) -> None:
    """VAL-1309: creating an audience with the name of another audience of the account: 409, code 1309.

    The channel and contacts vary: a name is taken whatever the channel.
    """
    body["data"]["name"] = taken_audience["name"]
    response = target.post(AUDIENCES_PATH, json=body)
    expect_table_answer(
        response,
        rule="VAL-1309",
        status=409,
        codes=frozenset({1309}),
        context=f"create with the taken name {taken_audience['name']!r}",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1309")
@pytest.mark.rule("VAL-00")
@given(channel=st.none() | valid_data.channels())
def test_rename_to_a_taken_name_answers_1309(
    target: Target,
    taken_audience: dict[str, Any],
    updated_audience: dict[str, Any],
    channel: str | None,
) -> None:
    """VAL-1309: renaming an audience to the name another audience of the account has: 409, code 1309."""
    data: dict[str, Any] = {"name": taken_audience["name"]}
    if channel is not None:
        data["channel"] = channel  # ignored by an update (CRUD-03), so still one fault
    response = target.put(audience_path(updated_audience["id"]), json={"data": data})
    expect_table_answer(
        response,
        rule="VAL-1309",
        status=409,
        codes=frozenset({1309}),
        context=f"rename to the taken name {taken_audience['name']!r}",
    )
