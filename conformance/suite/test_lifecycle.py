"""An audience's life, create to delete, as properties (CRUD-01..05, AUD-01, DATE-01/02, JSON-01),
and the error envelope of every refusal (ERR-01, ERR-02).

What create answers is what get and the query operation show; an update changes the name
and nothing else; a deleted audience is gone for every operation. Each example creates what
it needs and deletes it again, except the update property, which renames one audience.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from conformance import faults, identifiers, valid_data
from conformance.account_wide import settle
from conformance.client import (
    audience_path,
    body_of,
    check_account,
    create_audience,
    delete_audience,
    error_codes,
    expect_error,
    find_listed,
)
from conformance.facts import AUDIENCES_PATH, CHANNELS
from conformance.kept import kept_for_the_end
from conformance.ledger import Namer
from conformance.session import current
from conformance.suite.pagination_fixtures import property_settings
from conformance.target import Target
from conformance.violations import check

RUN = current()
FRESH = RUN.namer.fresh
CREATE_FAULTS = faults.create_faults(FRESH)
UPDATE_FAULTS = faults.update_faults(FRESH)

# DATE-01: 'yyyy-MM-dd HH:mm:ss' in ASCII digits (strptime alone would take '2026-1-5 1:2:3').
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
CLOCK_TOLERANCE = timedelta(minutes=5)  # DATE-02
COMPARED = ("id", "account_id", "name", "channel", "create_date", "update_date")
# Properties that walk the list check a batch of up to BATCH audiences per walk, over a share
# of the profile's examples: three quarters of the audiences one per example would make, and
# a quarter of the walks (on an account of 5,000 audiences, a walk is 51 pages).
BATCH = 5
BATCHED_SHARE = 0.25


# -- what an audience must look like ---------------------------------------------------------


def parse_date(value: Any, field_name: str, response: requests.Response | None) -> datetime:
    """DATE-01: a real calendar time in the contract's format (read as UTC)."""
    check(
        isinstance(value, str) and DATE_PATTERN.fullmatch(value) is not None,
        "DATE-01",
        expected=f"{field_name} formatted 'yyyy-MM-dd HH:mm:ss'",
        received=value,
        response=response,
    )
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        check(
            False,
            "DATE-01",
            expected=f"{field_name} a real calendar time",
            received=value,
            response=response,
        )
        raise


def check_audience(audience: Any, response: requests.Response | None, where: str) -> dict[str, Any]:
    """AUD-01 (every required field with its type) and DATE-01 (both dates) for one audience."""
    check(
        isinstance(audience, dict),
        "AUD-01",
        expected=f"{where}: an audience object",
        received=audience,
        response=response,
    )
    assert isinstance(audience, dict)
    for name in ("id", "account_id", "name", "channel", "create_date", "update_date"):
        check(
            isinstance(audience.get(name), str),
            "AUD-01",
            expected=f"{where}: '{name}' a string",
            received=audience,
            response=response,
        )
    check(
        audience["channel"] in CHANNELS,
        "AUD-01",
        expected=f"{where}: 'channel' one of {', '.join(CHANNELS)}, upper case",
        received=audience["channel"],
        response=response,
    )
    if "contacts_count" in audience:
        count = audience["contacts_count"]
        check(
            type(count) is int and count >= 0,
            "AUD-01",
            expected=f"{where}: 'contacts_count', when present, an integer >= 0",
            received=count,
            response=response,
        )
    if "links" in audience:
        links = audience["links"]
        check(
            isinstance(links, dict) and all(isinstance(value, str) for value in links.values()),
            "AUD-01",
            expected=f"{where}: 'links', when present, an object of strings",
            received=links,
            response=response,
        )
    created = parse_date(audience["create_date"], "create_date", response)
    updated = parse_date(audience["update_date"], "update_date", response)
    check(
        updated >= created,
        "AUD-01",
        expected=f"{where}: update_date >= create_date",
        received=audience,
        response=response,
    )
    return audience


def audience_of(response: requests.Response, status: int, rule: str, what: str) -> dict[str, Any]:
    """The audience of a ``{"data": Audience}`` answer, after checking its status against ``rule``."""
    check(
        response.status_code == status,
        rule,
        expected=f"HTTP {status} for {what}",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    body = body_of(response)
    return check_audience(body.get("data") if isinstance(body, dict) else body, response, what)


def expect_same(
    shown: Mapping[str, Any],
    sent: Mapping[str, Any],
    rule: str,
    where: str,
    response: requests.Response | None = None,
) -> None:
    """Every compared field, and contacts_count when both have it, is the same."""
    fields = COMPARED + (
        ("contacts_count",) if "contacts_count" in shown and "contacts_count" in sent else ()
    )
    differing = {
        name: (sent.get(name), shown.get(name))
        for name in fields
        if shown.get(name) != sent.get(name)
    }
    check(
        not differing,
        rule,
        expected=f"{where} shows the same audience",
        received=f"differs in (expected, shown): {differing}",
        response=response,
    )


def queries_of(audiences: Mapping[str, str]) -> list[tuple[dict[str, str], set[str]]]:
    """The queries that must show (or no longer show) a batch of audiences (id to channel), with
    the ids each must show: the unfiltered list, all of them; the filter of the first one's
    channel, that channel's (one filtered walk a batch: other examples draw other channels)."""
    channel = next(iter(audiences.values()))
    return [
        ({}, set(audiences)),
        (
            {"filter[channel]": channel},
            {key for key, value in audiences.items() if value == channel},
        ),
    ]


@pytest.fixture(scope="module")
def kept(target: Target, writable: None) -> dict[str, Any]:
    """The audience the update property renames, again and again, as its create answered (the
    update property keeps ``update_date`` current)."""
    return create_audience(target, FRESH(), "WHATSAPP", [{"number": "+4915112345678"}])


# -- create, get, list ----------------------------------------------------------------------


@pytest.mark.writes
@pytest.mark.rule("CRUD-01", "AUD-01", "DATE-01", "JSON-01")
@given(body=valid_data.create_bodies(FRESH))
def test_create_answers_the_audience_sent(
    target: Target, kept: dict[str, Any], body: dict[str, Any]
) -> None:
    """CRUD-01: 201 with the new audience: name and channel as sent, the key's account, the contacts counted.

    The key's account is the one account_id every create with this key answers, and not the
    one the secondary key's creates answer (see :mod:`conformance.accounts`)."""
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
            shown = settle(lambda params=params, ids=ids: listed_all(target, ids, params))
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
    target: Target, kept: dict[str, Any], renames: list[tuple[str, str | None]]
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
    created = {name: kept[name] for name in ("id", "account_id", "channel", "create_date")}
    for name, channel in renames:
        data = {"name": name} if channel is None else {"name": name, "channel": channel}
        response = target.put(audience_path(kept["id"]), json={"data": data})
        after = audience_of(response, 200, "CRUD-03", "a valid update")
        expected = {**created, "name": name, "update_date": after["update_date"]}
        expect_same(
            after, expected, "CRUD-03", "the update's answer (only the name changed)", response
        )
        check(
            parse_date(after["update_date"], "update_date", response)
            >= parse_date(kept["update_date"], "update_date", None),
            "CRUD-03",
            expected=f"update_date not before {kept['update_date']}, the last one answered",
            received=after["update_date"],
            response=response,
        )
        kept["update_date"] = after["update_date"]
        expect_same(
            audience_of(
                target.get(audience_path(kept["id"])), 200, "CRUD-03", "get after the update"
            ),
            after,
            "CRUD-03",
            "get after the update",
        )
    settle(lambda: _listed_renamed(target, kept, renames[-1][0]))


def _listed_renamed(target: Target, kept: dict[str, Any], name: str) -> None:
    item = find_listed(target, {kept["id"]}, **{"filter[channel]": kept["channel"]}).get(kept["id"])
    # Not there at all: the filter left out an audience of its channel (FILT-01), not the update.
    check(
        item is not None,
        "FILT-01",
        expected=f"the list filtered by {kept['channel']} shows {kept['id']}, an audience of that channel",
        received="not listed",
    )
    assert item is not None
    check(
        item.get("name") == name,
        "CRUD-03",
        expected=f"the list shows {kept['id']} named {name!r}",
        received=item,
    )


@pytest.mark.writes
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
    sent = datetime.now(timezone.utc)
    audience = create_audience(target, namer.fresh(), "VIBER")
    delete_audience(target, audience["id"])
    created = parse_date(audience["create_date"], "create_date", None)
    check(
        abs(created - sent) <= CLOCK_TOLERANCE,
        "DATE-02",
        expected=f"create_date within 5 minutes of {sent:%Y-%m-%d %H:%M:%S} (client UTC)",
        received=audience["create_date"],
    )


# -- the error envelope ----------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A request that a conformant server refuses with a 4xx."""

    what: str
    method: str
    path: str
    json: Any = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    keyless: bool = False

    def send(self, target: Target) -> requests.Response:
        return target.request(
            self.method,
            self.path,
            json=self.json,
            data=self.data,
            headers=self.headers,
            key=None if self.keyless else "",
        )


def read_probes() -> st.SearchStrategy[Probe]:
    return st.one_of(
        identifiers.malformed_ids().map(
            lambda identifier: Probe(
                f"get of the malformed id {identifier!r}", "GET", identifiers.id_path(identifier)
            )
        ),
        identifiers.well_formed_ids().map(
            lambda identifier: Probe(
                f"get of the id {identifier!r}", "GET", identifiers.id_path(identifier)
            )
        ),
        identifiers.malformed_ids().map(
            lambda identifier: Probe(
                "contacts of a malformed id", "GET", identifiers.id_path(identifier) + "/contacts"
            )
        ),
        st.sampled_from(
            [
                Probe("query without a key", "GET", AUDIENCES_PATH, keyless=True),
                Probe("get without a key", "GET", audience_path("0" * 32), keyless=True),
                Probe("query with page_size 0", "GET", AUDIENCES_PATH + "?page_size=0"),
                Probe("query with page_size 'ten'", "GET", AUDIENCES_PATH + "?page_size=ten"),
                Probe(
                    "query with a made-up page token",
                    "GET",
                    AUDIENCES_PATH + "?page_token=not-a-token",
                ),
                Probe(
                    "query with an unknown channel",
                    "GET",
                    AUDIENCES_PATH + "?filter%5Bchannel%5D=EMAIL",
                ),
            ]
        ),
    )


@st.composite
def write_probes(draw: st.DrawFn, audience_id: str) -> Probe:
    kind = draw(st.sampled_from(["create", "update", "id", "http"]))
    if kind == "create":
        fault = draw(
            st.sampled_from(sorted(CREATE_FAULTS)).flatmap(lambda code: CREATE_FAULTS[code])
        )
        return Probe(f"create with {fault.what}", "POST", AUDIENCES_PATH, json=fault.body)
    if kind == "update":
        fault = draw(
            st.sampled_from(sorted(UPDATE_FAULTS)).flatmap(lambda code: UPDATE_FAULTS[code])
        )
        return Probe(
            f"update with {fault.what}", "PUT", audience_path(audience_id), json=fault.body
        )
    if kind == "id":
        identifier = RUN.guard.mint_malformed(draw(identifiers.malformed_ids()))
        method = draw(st.sampled_from(["PUT", "DELETE"]))
        return Probe(
            f"{method} of the malformed id {identifier!r}",
            method,
            identifiers.id_path(identifier),
            json={"data": {"name": FRESH()}} if method == "PUT" else None,
        )
    json_type = {"Content-Type": "application/json"}
    return draw(
        st.sampled_from(
            [
                Probe(
                    "create with a body that is not JSON",
                    "POST",
                    AUDIENCES_PATH,
                    data=b'{"data": ',
                    headers=json_type,
                ),
                Probe(
                    "create as text/plain",
                    "POST",
                    AUDIENCES_PATH,
                    data=b"{}",
                    headers={"Content-Type": "text/plain"},
                ),
                Probe(
                    "create without a key",
                    "POST",
                    AUDIENCES_PATH,
                    json={"data": {"name": FRESH(), "channel": "SMS"}},
                    keyless=True,
                ),
                Probe(
                    "PATCH of an audience",
                    "PATCH",
                    audience_path(audience_id),
                    json={"data": {"name": FRESH()}},
                ),
                Probe("PATCH of the collection", "PATCH", AUDIENCES_PATH, json={}),
            ]
        )
    )


def check_envelope(response: requests.Response, probe: Probe) -> list[dict[str, Any]]:
    """ERR-01: a 4xx carries a non-empty 'errors' array of items with an integer code and a
    string message (a missing 'errors' fails it too); its items are returned.

    A 5xx to a probe is never a pass: it fails ROB-01 (the contract's rule for 5xx; ERR-01
    speaks of 4xx). A 2xx or 3xx is no error answer, and other rules judge it."""
    check(
        response.status_code < 500,
        "ROB-01",
        expected=f"no 5xx for {probe.what}",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    if not 400 <= response.status_code < 500:
        return []
    error_codes(response)
    return list(body_of(response)["errors"])


def check_error_fields(response: requests.Response, probe: Probe) -> None:
    """ERR-02: each item also has status (the HTTP status), timestamp, path and method (the
    envelope itself, ERR-01, is checked first: no items is no pass)."""
    for item in check_envelope(response, probe):
        check(
            type(item.get("status")) is int and item["status"] == response.status_code,
            "ERR-02",
            expected=f"status {response.status_code} (the HTTP status) in each error, for {probe.what}",
            received=item,
            response=response,
        )
        for name in ("timestamp", "path", "method"):
            check(
                isinstance(item.get(name), str) and item[name] != "",
                "ERR-02",
                expected=f"a non-empty string '{name}' in each error, for {probe.what}",
                received=item,
                response=response,
            )
        check(
            item["method"].upper() == probe.method,
            "ERR-02",
            expected=f"method {probe.method}, the request's",
            received=item["method"],
            response=response,
        )


@pytest.mark.rule("ERR-01")
@given(probe=read_probes())
def test_refused_reads_carry_the_envelope(target: Target, probe: Probe) -> None:
    """ERR-01: refused reads (bad ids, no key, bad query) answer 4xx with a non-empty 'errors' array of {code:int, message:str}."""
    check_envelope(probe.send(target), probe)


@pytest.mark.rule("ERR-02")
@given(probe=read_probes())
def test_refused_reads_carry_the_documented_error_fields(target: Target, probe: Probe) -> None:
    """ERR-02: each error item of a refused read also has status (the HTTP status), timestamp, path and method."""
    check_error_fields(probe.send(target), probe)


@pytest.mark.writes
@pytest.mark.rule("ERR-01")
@given(data=st.data())
def test_refused_writes_carry_the_envelope(
    target: Target, kept: dict[str, Any], data: st.DataObject
) -> None:
    """ERR-01: refused creates and updates (any fault of the table, bad ids, bad bodies, PATCH) carry the envelope."""
    probe = data.draw(write_probes(kept["id"]), label="probe")
    check_envelope(probe.send(target), probe)


@pytest.mark.writes
@pytest.mark.rule("ERR-02")
@given(data=st.data())
def test_refused_writes_carry_the_documented_error_fields(
    target: Target, kept: dict[str, Any], data: st.DataObject
) -> None:
    """ERR-02: each error item of a refused write also has status, timestamp, path and method."""
    probe = data.draw(write_probes(kept["id"]), label="probe")
    check_error_fields(probe.send(target), probe)
