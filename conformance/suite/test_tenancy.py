"""TEN-01, TEN-02: an account sees only its own audiences; names are unique within an account.

These tests need a second account's key (``other_target``); without one they are skipped,
saying how to enable them. Another account's audience must look exactly like a missing one:
404 with code 1301, never 403 (which would reveal that it exists).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance.checks.client import (
    audience_path,
    body_of,
    create_audience,
    expect_error,
    listed,
    total_of,
)
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import RunContext, current
from conformance.verdict.scope import out_of_scope
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh


@pytest.fixture(scope="module")
def mine(target: Target, run: RunContext) -> dict[str, Any]:
    """An audience of the primary account: made here, or (read-only) one the account has."""
    if not run.settings.read_only:
        return create_audience(
            target, FRESH(), "VIBER", [{"number": "+37491234567", "first_name": "Ani"}]
        )
    for item in listed(target):
        return item
    out_of_scope("the run is --read-only and the primary account has no audience to probe with")


def expect_unchanged(target: Target, audience: dict[str, Any], after: str) -> None:
    """TEN-01: the owner still gets the audience, with its name, after another account's attempt."""
    response = target.get(audience_path(audience["id"]))
    shown = body_of(response).get("data", {}) if response.status_code == 200 else {}
    check(
        response.status_code == 200 and shown.get("name") == audience["name"],
        "TEN-01",
        expected=f"after {after}, the owner still gets {audience['id']} named {audience['name']!r}",
        received=f"HTTP {response.status_code} {shown.get('name')!r}",
        response=response,
    )


def expect_hidden(response: requests.Response, what: str) -> None:
    """404 with code 1301, as for an id that does not exist; a 403 reveals that it does."""
    check(
        response.status_code != 403,
        "TEN-01",
        expected=f"{what}: 404, as for a missing audience (a 403 reveals that it exists)",
        received="HTTP 403",
        response=response,
    )
    expect_error(response, status=404, rule="TEN-01", code=1301, context=what)


@pytest.mark.rule("TEN-01")
def test_another_account_cannot_get_it(other_target: Target, mine: dict[str, Any]) -> None:
    """TEN-01: get of another account's audience answers 404 code 1301; its contacts are not shown either."""
    expect_hidden(other_target.get(audience_path(mine["id"])), "get with another account's key")
    contacts = other_target.get(audience_path(mine["id"]) + "/contacts")
    check(
        contacts.status_code == 404,
        "TEN-01",
        expected="its contacts with another account's key: 404, as for a missing audience",
        received=f"HTTP {contacts.status_code}",
        response=contacts,
    )


@pytest.mark.writes
@pytest.mark.rule("TEN-01")
def test_another_account_cannot_update_it(
    target: Target, other_target: Target, mine: dict[str, Any]
) -> None:
    """TEN-01: update with another account's key answers 404 code 1301 and renames nothing."""
    expect_hidden(
        other_target.put(audience_path(mine["id"]), json={"data": {"name": FRESH()}}),
        "update with another account's key",
    )
    expect_unchanged(target, mine, "another account's update")


@pytest.mark.writes
@pytest.mark.rule("TEN-01")
def test_another_account_cannot_delete_it(
    target: Target, other_target: Target, mine: dict[str, Any]
) -> None:
    """TEN-01: delete with another account's key answers 404 code 1301 and deletes nothing."""
    expect_hidden(
        other_target.delete(audience_path(mine["id"])), "delete with another account's key"
    )
    expect_unchanged(target, mine, "another account's delete")


@pytest.mark.rule("TEN-01")
def test_another_accounts_list_never_shows_it(other_target: Target, mine: dict[str, Any]) -> None:
    """TEN-01: the other account's query operation, unfiltered and filtered by the channel, never lists it."""
    for params in ({}, {"filter[channel]": mine["channel"]}):
        for item in listed(other_target, **params):
            check(
                item.get("id") != mine["id"],
                "TEN-01",
                expected=f"another account's list ({params or 'unfiltered'}) never shows {mine['id']}",
                received=item,
            )
            check(
                item.get("account_id") != mine["account_id"],
                "TEN-01",
                expected=f"another account's list ({params or 'unfiltered'}) shows only its own audiences",
                received=item,
            )


@pytest.mark.writes
@pytest.mark.account_wide
@pytest.mark.rule("TEN-01")
def test_another_accounts_totals_do_not_count_it(target: Target, other_target: Target) -> None:
    """TEN-01: creating an audience does not change another account's totals, filtered or not.

    (Another client writing to the second account meanwhile moves its totals too: the check is
    repeated, and counts only when it fails the same way again.)
    """
    queries = {"unfiltered": {}, "WHATSAPP": {"filter[channel]": "WHATSAPP"}}
    before = {name: total_of(other_target, **params) for name, params in queries.items()}
    create_audience(target, FRESH(), "WHATSAPP")
    after = {name: total_of(other_target, **params) for name, params in queries.items()}
    check(
        after == before,
        "TEN-01",
        expected=f"another account's totals stay {before}",
        received=after,
    )


@pytest.mark.writes
@pytest.mark.rule("TEN-02")
def test_the_same_name_can_exist_in_both_accounts(
    target: Target, other_target: Target, mine: dict[str, Any]
) -> None:
    """TEN-02: names are unique per account: another account may create an audience of the same name.

    1. With the other key, create an audience named as the primary account's: 201.
    2. Each account gets its own audience under that name.
    """
    response = other_target.post(
        AUDIENCES_PATH, json={"data": {"name": mine["name"], "channel": "SMS"}}
    )
    check(
        response.status_code == 201,
        "TEN-02",
        expected="201: the name is taken only in the other account",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    theirs = body_of(response)["data"]
    check(
        theirs.get("id") != mine["id"],
        "TEN-02",
        expected="a new audience, not the other account's",
        received=theirs,
        response=response,
    )
    for owner, audience in ((target, mine), (other_target, theirs)):
        shown = owner.get(audience_path(audience["id"]))
        check(
            shown.status_code == 200 and body_of(shown)["data"]["channel"] == audience["channel"],
            "TEN-02",
            expected=f"each account gets its own audience named {mine['name']!r}",
            received=f"HTTP {shown.status_code}",
            response=shown,
        )
