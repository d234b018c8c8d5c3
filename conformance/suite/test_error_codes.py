"""The code table of section 6: one fault, the table's status and code (VAL-00, VAL-1301..VAL-1355).

Each row is a property over its whole fault class (see :mod:`conformance.checks.faults`); each
test speaks for its row's rule and for VAL-00 (at the row's level: VAL-00 of a SHOULD row
is a SHOULD). VAL-01 (a rejected request changes nothing) closes the module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import hypothesis
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import faults, identifiers, valid_data
from conformance.checks.client import audience_path, create_audience, error_codes, listed, total_of
from conformance.checks.faults import Fault
from conformance.contract.facts import AUDIENCES_PATH
from conformance.contract.rules import RULES_BY_ID
from conformance.http.ledger import iter_audiences
from conformance.http.target import Target
from conformance.http.write_guard import ABSENT_SHAPES
from conformance.run.session import current
from conformance.verdict.violations import RuleViolation, check

RUN = current()
FRESH = RUN.namer.fresh
CREATE_FAULTS = faults.create_faults(FRESH)
UPDATE_FAULTS = faults.update_faults(FRESH)

METHODS = [
    pytest.param("GET", id="get"),
    pytest.param("PUT", id="update", marks=pytest.mark.writes),
    pytest.param("DELETE", id="delete", marks=pytest.mark.writes),
]


def rows(codes: Sequence[int]) -> list[Any]:
    """One parameter per table row, tagged with the row's rule and with VAL-00 at the row's level."""
    return [
        pytest.param(
            code,
            id=str(code),
            marks=[
                pytest.mark.rule(f"VAL-{code}"),
                pytest.mark.rule("VAL-00", level=RULES_BY_ID[f"VAL-{code}"].level.value),
            ],
        )
        for code in codes
    ]


def expect_table_answer(
    response: requests.Response, *, rule: str, status: int, codes: frozenset[int], context: str
) -> None:
    """VAL-00 and the row's rule: the table's status, and one of ``codes`` among errors[].code.

    A wrong answer breaks both rules at once, so both are raised together.
    """
    wanted = " or ".join(str(code) for code in sorted(codes))
    if response.status_code != status:
        raise _broken(
            (rule, "VAL-00"),
            expected=f"HTTP {status} with code {wanted}",
            received=f"HTTP {response.status_code}",
            response=response,
            context=context,
        )
    sent = error_codes(response)  # ERR-01: without the envelope no code can be among errors[].code
    if not codes & set(sent):
        raise _broken(
            (rule, "VAL-00"),
            expected=f"code {wanted} among errors[].code",
            received=f"codes {sent}",
            response=response,
            context=context,
        )


def _broken(
    rules: tuple[str, ...],
    *,
    expected: str,
    received: str,
    response: requests.Response,
    context: str,
) -> ExceptionGroup[RuleViolation]:
    """One violation per rule, grouped: the verdict counts a group against every rule it names."""
    first, *others = rules
    violations = [
        RuleViolation(
            first, expected=expected, received=received, response=response, context=context
        )
    ]
    violations += [
        RuleViolation(
            rule, expected=expected, received=received, context=f"{context} (see {first})"
        )
        for rule in others
    ]
    return ExceptionGroup(f"{', '.join(rules)}: {context}", violations)


def send_body(
    target: Target, method: str, path: str, body: Any, *, raw_utf8: bool
) -> requests.Response:
    """The body as JSON: non-ASCII characters escaped (\\u00e9), or written as raw UTF-8."""
    if not raw_utf8:
        return target.request(method, path, json=body)
    encoded = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return target.request(method, path, data=encoded, headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def taken(target: Target, writable: None) -> dict[str, Any]:
    """An audience whose name the duplicate probes collide with (VAL-1309)."""
    return create_audience(target, FRESH(), "SMS")


@pytest.fixture(scope="module")
def renamed(target: Target, writable: None) -> dict[str, Any]:
    """The audience the faulty updates are sent to."""
    return create_audience(target, FRESH(), "VIBER")


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
    code: int, target: Target, renamed: dict[str, Any], data: st.DataObject, raw_utf8: bool
) -> None:
    """An update body with exactly one fault of the row, sent to an existing audience, gets the row's answer."""
    fault: Fault = data.draw(UPDATE_FAULTS[code], label="fault")
    response = send_body(target, "PUT", audience_path(renamed["id"]), fault.body, raw_utf8=raw_utf8)
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
    target: Target, taken: dict[str, Any], body: dict[str, Any]
) -> None:
    """VAL-1309: creating an audience with the name of another audience of the account: 409, code 1309.

    The channel and contacts vary: a name is taken whatever the channel.
    """
    body["data"]["name"] = taken["name"]
    response = target.post(AUDIENCES_PATH, json=body)
    expect_table_answer(
        response,
        rule="VAL-1309",
        status=409,
        codes=frozenset({1309}),
        context=f"create with the taken name {taken['name']!r}",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1309")
@pytest.mark.rule("VAL-00")
@given(channel=st.none() | valid_data.channels())
def test_rename_to_a_taken_name_answers_1309(
    target: Target, taken: dict[str, Any], renamed: dict[str, Any], channel: str | None
) -> None:
    """VAL-1309: renaming an audience to the name another audience of the account has: 409, code 1309."""
    data: dict[str, Any] = {"name": taken["name"]}
    if channel is not None:
        data["channel"] = channel  # ignored by an update (CRUD-03), so still one fault
    response = target.put(audience_path(renamed["id"]), json={"data": data})
    expect_table_answer(
        response,
        rule="VAL-1309",
        status=409,
        codes=frozenset({1309}),
        context=f"rename to the taken name {taken['name']!r}",
    )


# -- VAL-01: a rejected request changes nothing ----------------------------------------


def _ours(target: Target) -> dict[str, str]:
    """id -> name of this run's audiences the query operation lists."""
    prefix = RUN.namer.prefix
    return {
        str(item["id"]): str(item["name"])
        for item in iter_audiences(target)
        if prefix in str(item.get("name"))
    }


NAMELESS = frozenset({"", "None", "null"})  # how _account shows an audience kept without a name


def _account(target: Target) -> tuple[dict[str, str], int]:
    """id -> name of every audience the account lists, and the account's total."""
    return {str(item.get("id")): str(item.get("name")) for item in listed(target)}, total_of(target)


def _seen(seen: list[RuleViolation], condition: bool, **details: Any) -> None:
    """VAL-01's check, remembering its failure for :func:`_first_failure`."""
    try:
        check(condition, "VAL-01", **details)
    except RuleViolation as violation:
        seen.append(violation)
        raise


def _first_failure(send: Callable[[], None], seen: list[RuleViolation]) -> None:
    """Run ``send`` (a Hypothesis test whose requests change the account). A refusal that changed
    something is seen once; replaying that example meets an account that moved on, and
    Hypothesis reports flakiness instead of the failure: the violation seen is reported."""
    try:
        send()
    except hypothesis.errors.Flaky:
        if seen:
            raise seen[0] from None
        raise


def _leaked_id(response: requests.Response) -> str | None:
    """The id a refusal carried anyway, if its body looks like an audience."""
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return None
    return str(data["id"]) if isinstance(data, dict) and isinstance(data.get("id"), str) else None


@pytest.mark.writes
@pytest.mark.account_wide(repeats=3)
@pytest.mark.rule("VAL-01")
def test_rejected_creates_leave_nothing_behind(target: Target) -> None:
    """VAL-01: after creates refused for any fault of the table, no audience appeared.

    1. List the whole account: its ids and its total.
    2. Each example sends one faulty create of every row; any refusal that carried an id is
       looked up (it must not exist).
    3. List again: no id appeared, whatever its name (a server may keep a refused create under
       a name of its own), and the total did not grow. What carries this run's prefix is
       deleted again; anything else may be another client's, and is left alone.

    Another client creating meanwhile also adds ids: the test is therefore account-wide. New
    audiences of this run's prefix and those without a name (no valid create makes one: only a
    refused create can have left it) are the server's doing, never evidence of another client,
    and fail the rule at once. Others, named, may be another client's: the check is tried
    again, and fails when the same names appear three tries in a row (a server keeping each
    refused create under one name of its own); another client's names differ from try to try.
    """
    before, total_before = _account(target)
    accepted: set[str] = set()
    seen: list[RuleViolation] = []

    @given(data=st.data())
    def send_one_of_each(data: st.DataObject) -> None:
        for code, strategy in CREATE_FAULTS.items():
            fault = data.draw(strategy, label=str(code))
            response = target.post(AUDIENCES_PATH, json=fault.body)
            if response.status_code == 201:
                accepted.add(
                    str(response.json()["data"]["id"])
                )  # a VAL-13xx matter, reported by its own test
                continue
            leaked = _leaked_id(response)
            if leaked is not None:
                lookup = target.get(audience_path(leaked))
                _seen(
                    seen,
                    lookup.status_code == 404,
                    expected=f"the refused create ({fault.what}) left no audience: 404 for the id its answer carried",
                    received=f"HTTP {lookup.status_code}",
                    response=lookup,
                )

    _first_failure(send_one_of_each, seen)
    after, total_after = _account(target)
    appeared = {
        audience_id: name
        for audience_id, name in after.items()
        if audience_id not in before and audience_id not in accepted
    }
    prefix = RUN.namer.prefix
    for audience_id, name in appeared.items():
        if prefix in name:
            # Named with this run's prefix, so this run made it (without a 201 saying so).
            RUN.ledger.adopt(target.api_key, audience_id)
            target.delete(audience_path(audience_id))
    ours = [name for name in appeared.values() if prefix in name]
    nameless = [name for name in appeared.values() if name in NAMELESS]
    RUN.witness.account_for(
        audience_id for audience_id, name in appeared.items() if prefix in name or name in NAMELESS
    )
    others = sorted(
        name for name in appeared.values() if name not in NAMELESS and prefix not in name
    )
    grown = total_after - total_before - len(accepted)
    check(
        not appeared and grown <= 0,
        "VAL-01",
        expected="no audience appears after refused creates: no new id in the account, and its total does not grow",
        received=f"{len(ours)} new audience(s) named with this run's prefix, {len(nameless)} without a name, others named {others}; total grew by {grown}",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-01")
def test_rejected_updates_rename_nothing(
    target: Target, taken: dict[str, Any], renamed: dict[str, Any]
) -> None:
    """VAL-01: after updates refused for any fault of the table, neither audience was renamed.

    Checked by get after each refusal, then once by listing.
    """
    names = {
        audience["id"]: target.get(audience_path(audience["id"])).json()["data"]["name"]
        for audience in (taken, renamed)
    }
    rename_to_taken = st.just(
        Fault(1309, "rename to a name another audience has", {"data": {"name": names[taken["id"]]}})
    )
    seen: list[RuleViolation] = []

    @given(data=st.data())
    def send_one_of_each(data: st.DataObject) -> None:
        for code, strategy in [*UPDATE_FAULTS.items(), (1309, rename_to_taken)]:
            fault = data.draw(strategy, label=str(code))
            response = target.put(audience_path(renamed["id"]), json=fault.body)
            if response.ok:
                names[renamed["id"]] = response.json()["data"][
                    "name"
                ]  # accepted: a VAL-13xx matter
                continue
            for audience_id, name in names.items():
                now = target.get(audience_path(audience_id))
                shown = (
                    now.json().get("data", {}).get("name")
                    if now.status_code == 200
                    else f"HTTP {now.status_code}"
                )
                _seen(
                    seen,
                    shown == name,
                    expected=f"after the refused update ({fault.what}), get shows the name {name!r}",
                    received=shown,
                    response=now,
                )

    _first_failure(send_one_of_each, seen)
    shown_names = _ours(target)
    for audience_id, name in names.items():
        check(
            shown_names.get(audience_id) == name,
            "VAL-01",
            expected=f"after refused updates, the list shows {audience_id} named {name!r}",
            received=shown_names.get(audience_id, "not listed"),
        )
