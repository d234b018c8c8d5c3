"""An audience's life, create to delete, as properties (CRUD-01..05, AUD-01, DATE-01/02, JSON-01):
here its birth, create, get and list (CRUD-01, CRUD-02).

What create answers is what get and the query operation show; an update changes the name
and nothing else; a deleted audience is gone for every operation. Each example creates what
it needs and deletes it again, except the update property, which renames one audience (the
suite's ``kept_audience``). Update, delete and the server's clock are in
:mod:`conformance.suite.test_lifecycle_changes`, the error envelope of the refusals in
:mod:`conformance.suite.test_lifecycle_refusals`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import faults, valid_data
from conformance.checks.account_wide import settle
from conformance.checks.client import (
    audience_path,
    check_account,
    create_audience,
    delete_audience,
    find_listed,
)
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import current
from conformance.suite.audience_checks import (
    BATCH,
    BATCHED_SHARE,
    audience_of,
    check_audience,
    expect_same,
    queries_of,
)
from conformance.suite.pagination_fixtures import property_settings
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh
CREATE_FAULTS = faults.create_faults(FRESH)
UPDATE_FAULTS = faults.update_faults(FRESH)


# -- create, get, list ----------------------------------------------------------------------


@pytest.mark.writes
@pytest.mark.rule("CRUD-01", "AUD-01", "DATE-01", "JSON-01")
@given(body=valid_data.create_bodies(FRESH))
def test_create_answers_the_audience_sent(
    target: Target, kept_audience: dict[str, Any], body: dict[str, Any]
) -> None:
    """CRUD-01: 201 with the new audience: name and channel as sent, the key's account, the contacts counted.

    The key's account is the one account_id every create with this key answers, and not the
    one the secondary key's creates answer (see :mod:`conformance.checks.accounts`)."""
    data = body["data"]
    response = target.post(AUDIENCES_PATH, json=body)
    audience = audience_of(response, 201, "CRUD-01", "a valid create")
    delete_audience(target, audience["id"])
    for name, value in (("name", data["name"]), ("channel", data["channel"])):
        check(
            audience[name] == value,
            "CRUD-01",
            expected=f"{name} {value!r} (as sent)",
            received=audience[name],
            response=response,
        )
    check_account(target, audience, response)  # the key's one account_id, no other key's
    if "contacts_count" in audience:
        sent = len(data.get("contacts", []))
        check(
            audience["contacts_count"] == sent,
            "CRUD-01",
            expected=f"contacts_count {sent}, the contacts sent",
            received=audience["contacts_count"],
            response=response,
        )


@pytest.mark.writes
@pytest.mark.rule("CRUD-01")
def test_each_key_creates_in_its_own_account(target: Target, other_target: Target) -> None:
    """CRUD-01: the key's account_id: two creates with one key carry one account_id, and a create
    with the secondary key (another account) carries another. A server answering one constant
    account_id fails here."""
    made = [
        (owner, create_audience(owner, FRESH(), "SMS")) for owner in (target, target, other_target)
    ]
    for owner, audience in made:
        delete_audience(owner, audience["id"])
    (_, first), (_, second), (_, theirs) = made
    mine, again, other = (audience.get("account_id") for audience in (first, second, theirs))
    check(
        isinstance(mine, str) and mine == again,
        "CRUD-01",
        expected=f"one account_id for two creates with the API key, {mine!r}",
        received=again,
    )
    check(
        other != mine,
        "CRUD-01",
        expected=f"the secondary API key's create in another account than {mine!r}",
        received=other,
    )


@pytest.mark.writes
@pytest.mark.rule("CRUD-02", "AUD-01", "DATE-01", "JSON-01")
@property_settings(BATCHED_SHARE)
@given(
    bodies=st.lists(
        valid_data.create_bodies(FRESH),
        min_size=1,
        max_size=BATCH,
        unique_by=lambda body: body["data"]["name"],
    )
)
def test_get_and_list_show_the_created_audience(
    target: Target, bodies: list[dict[str, Any]]
) -> None:
    """CRUD-02: get by the returned id gives the same audience; the list shows it, unfiltered and by its channel.

    A batch of one to five audiences, so that one walk of the list (which an account of
    thousands of audiences makes long) checks them all: unfiltered, and by the first one's channel.
    Judged once, against what each create answered; only a walk of the list that missed one is
    read again, and only when another client's write is proven meanwhile (offset pagination may
    skip an item while others are deleted).
    """
    made: dict[str, dict[str, Any]] = {}
    try:
        for body in bodies:
            audience = create_audience(
                target, body["data"]["name"], body["data"]["channel"], body["data"].get("contacts")
            )
            made[audience["id"]] = audience
            response = target.get(audience_path(audience["id"]))
            expect_same(
                audience_of(response, 200, "CRUD-02", "get of a created audience"),
                audience,
                "CRUD-02",
                "get",
                response,
            )
        for params, ids in queries_of({key: audience["channel"] for key, audience in made.items()}):
            shown = settle(partial(listed_all, target, ids, params))
            for key in ids:
                expect_same(
                    check_audience(shown[key], None, "a listed audience"),
                    made[key],
                    "CRUD-02",
                    f"the list ({params or 'unfiltered'})",
                )
    finally:
        for key in made:
            delete_audience(target, key)


def listed_all(target: Target, ids: set[str], params: dict[str, str]) -> dict[str, dict[str, Any]]:
    """CRUD-02: the list (``params``) shows every audience of ``ids``; what it shows of them."""
    shown = find_listed(target, ids, **params)
    missing = sorted(ids - set(shown))
    check(
        not missing,
        "CRUD-02",
        expected=f"the list ({params or 'unfiltered'}) shows the created audiences {sorted(ids)}",
        received=f"not listed: {missing}",
    )
    return shown
