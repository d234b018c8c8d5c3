"""What later writes do to an audience (CRUD-03..05, DATE-02, with AUD-01, DATE-01 and JSON-01):
an update changes the name and nothing else, and moves ``update_date`` forward across a second;
a deleted audience is gone for every operation; ``create_date`` is the server's clock now, in UTC.

The update property renames one audience again and again (the suite's ``kept_audience``); every
other example creates what it needs and deletes it again.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.checks import valid_data
from conformance.checks.account_wide import settle
from conformance.checks.client import (
    audience_path,
    create_audience,
    delete_audience,
    expect_error,
    find_listed,
)
from conformance.http.ledger import Namer
from conformance.http.target import Target
from conformance.run.session import current
from conformance.suite.audience_checks import (
    BATCH,
    BATCHED_SHARE,
    audience_of,
    check_audience,
    expect_same,
    parse_date,
    queries_of,
)
from conformance.suite.pagination_fixtures import property_settings
from conformance.verdict.should_kept import kept_for_the_end
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh
CLOCK_TOLERANCE = timedelta(minutes=5)  # DATE-02


# -- update --------------------------------------------------------------------------------


@pytest.mark.writes
@pytest.mark.rule("CRUD-03", "AUD-01", "DATE-01", "JSON-01")
@property_settings(BATCHED_SHARE)
@given(
    renames=st.lists(
        st.tuples(valid_data.valid_names(FRESH), st.none() | valid_data.channels()),
        min_size=1,
        max_size=BATCH,
        unique_by=lambda rename: rename[0],
    )
)
@example(
    renames=[(FRESH(), "SMS"), (FRESH(), None)]
)  # a channel other than the audience's, at every profile
def test_update_changes_only_the_name(
    target: Target, kept_audience: dict[str, Any], renames: list[tuple[str, str | None]]
) -> None:
    """CRUD-03: the name changes; id, account, channel and create_date stay; update_date does not go back.

    Each update is judged once, against what the create answered (never against a read made
    after an earlier update, which a faulty update would already have changed); a create_date
    moved to "now" shows when a rename falls in a later second than the create, and always in
    the CRUD-04 test below, which updates more than a second after its create. A channel in the
    update body is ignored. Get shows what each update answered; after one to five renames, the list
    filtered by the audience's channel shows the last name (one walk for the batch, of a third
    of a big account's list; CRUD-02 walks the unfiltered one).
    """
    created = {name: kept_audience[name] for name in ("id", "account_id", "channel", "create_date")}
    for name, channel in renames:
        data = {"name": name} if channel is None else {"name": name, "channel": channel}
        response = target.put(audience_path(kept_audience["id"]), json={"data": data})
        after = audience_of(response, 200, "CRUD-03", "a valid update")
        expected = {**created, "name": name, "update_date": after["update_date"]}
        expect_same(
            after, expected, "CRUD-03", "the update's answer (only the name changed)", response
        )
        check(
            parse_date(after["update_date"], "update_date", response)
            >= parse_date(kept_audience["update_date"], "update_date", None),
            "CRUD-03",
            expected=f"update_date not before {kept_audience['update_date']}, the last one answered",
            received=after["update_date"],
            response=response,
        )
        kept_audience["update_date"] = after["update_date"]
        expect_same(
            audience_of(
                target.get(audience_path(kept_audience["id"])),
                200,
                "CRUD-03",
                "get after the update",
            ),
            after,
            "CRUD-03",
            "get after the update",
        )
    settle(lambda: _listed_renamed(target, kept_audience, renames[-1][0]))


def _listed_renamed(target: Target, kept_audience: dict[str, Any], name: str) -> None:
    item = find_listed(
        target, {kept_audience["id"]}, **{"filter[channel]": kept_audience["channel"]}
    ).get(kept_audience["id"])
    # Not there at all: the filter left out an audience of its channel (FILT-01), not the update.
    check(
        item is not None,
        "FILT-01",
        expected=f"the list filtered by {kept_audience['channel']} shows {kept_audience['id']}, an audience of that channel",
        received="not listed",
    )
    assert item is not None
    check(
        item.get("name") == name,
        "CRUD-03",
        expected=f"the list shows {kept_audience['id']} named {name!r}",
        received=item,
    )


@pytest.mark.writes
@pytest.mark.waits
@pytest.mark.rule("CRUD-04", "CRUD-03")
def test_update_moves_update_date_forward_after_a_second(target: Target, namer: Namer) -> None:
    """CRUD-04: an update more than a second after the last change moves update_date forward;
    CRUD-03 across that second: id, account, channel and create_date stay as the create answered.

    The one test of the suite that waits (1.1 s): dates have a resolution of one second. Dates
    are compared as times, never as strings; a valid update refused is CRUD-03's failure, and an
    answer without update_date AUD-01's, not a skip. CRUD-04 (SHOULD) is checked last and kept
    for the test's end: it never blocks CRUD-03 (MUST).
    """
    audience = create_audience(target, namer.fresh(), "SMS")
    try:
        created = parse_date(
            check_audience(audience, None, "the created audience")["update_date"],
            "update_date",
            None,
        )
        time.sleep(1.1)
        name = namer.fresh()
        response = target.put(
            audience_path(audience["id"]), json={"data": {"name": name, "channel": "VIBER"}}
        )
        after = audience_of(response, 200, "CRUD-03", "a valid update")
        expect_same(
            after,
            {**audience, "name": name, "update_date": after["update_date"]},
            "CRUD-03",
            "an update more than a second after the create (only the name changed)",
            response,
        )
        updated = parse_date(after["update_date"], "update_date", response)
        with kept_for_the_end():
            check(
                updated > created,
                "CRUD-04",
                expected=f"update_date after {audience['update_date']} (1.1 s later)",
                received=after["update_date"],
                response=response,
            )
    finally:
        delete_audience(target, audience["id"])


# -- delete --------------------------------------------------------------------------------


@pytest.mark.writes
@pytest.mark.rule("CRUD-05", "JSON-01")
@property_settings(BATCHED_SHARE)
@given(
    doomed=st.lists(
        st.tuples(valid_data.channels(), valid_data.contact_lists(0, 2)), min_size=1, max_size=BATCH
    )
)
def test_a_deleted_audience_is_gone(
    target: Target, doomed: list[tuple[str, list[dict[str, Any]]]]
) -> None:
    """CRUD-05: delete answers 204 without a body; then get, update and delete answer 404 code 1301,
    and the list, unfiltered and by channel, no longer shows it.

    A batch of one to five audiences, so that one walk of the list checks them all (a walk
    that finds none of them goes to the end: on a big account, dozens of pages): unfiltered,
    and by the first one's channel.
    """
    gone: dict[str, str] = {}
    for channel, contacts in doomed:
        audience = create_audience(target, FRESH(), channel, contacts)
        path = audience_path(audience["id"])
        response = target.delete(path)
        check(
            response.status_code == 204,
            "CRUD-05",
            expected="HTTP 204 for a delete",
            received=f"HTTP {response.status_code}",
            response=response,
        )
        check(
            response.content == b"",
            "JSON-01",
            expected="a 204 without a body",
            received=response.text[:200],
            response=response,
        )
        for method, body in (("GET", None), ("PUT", {"data": {"name": FRESH()}}), ("DELETE", None)):
            expect_error(
                target.request(method, path, json=body),
                status=404,
                rule="CRUD-05",
                code=1301,
                context=f"{method} after delete",
            )
        gone[audience["id"]] = channel
    for params, ids in queries_of(gone):
        still = find_listed(target, ids, **params)
        check(
            not still,
            "CRUD-05",
            expected=f"the list ({params or 'unfiltered'}) no longer shows {sorted(ids)}",
            received=f"still listed: {sorted(still)}",
        )


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.writes
@pytest.mark.rule("DATE-02")
def test_create_date_is_the_clock_now_in_utc(target: Target, namer: Namer) -> None:
    """DATE-02: a new audience's create_date is within 5 minutes of this client's UTC clock
    (a server writing local time as UTC is hours off)."""
    sent = datetime.now(UTC)
    audience = create_audience(target, namer.fresh(), "VIBER")
    delete_audience(target, audience["id"])
    created = parse_date(audience["create_date"], "create_date", None)
    check(
        abs(created - sent) <= CLOCK_TOLERANCE,
        "DATE-02",
        expected=f"create_date within 5 minutes of {sent:%Y-%m-%d %H:%M:%S} (client UTC)",
        received=audience["create_date"],
    )
