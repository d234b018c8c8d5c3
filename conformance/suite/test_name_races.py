"""VAL-1309 when requests run at the same time: at no moment do two audiences of one account
share a name.

A server that checks that a name is free and then writes it, in two steps, passes every test
that sends one request at a time; racing requests find the gap. Each round sends several
requests at one moment (:mod:`conformance.checks.simultaneous`); a race is won or lost by chance, so the
profile says how many rounds are run. Names are fresh and run-prefixed, all lower case
(section 9: uniqueness may ignore letter case). Under ``--rate-limit`` the racers leave one
interval apart, as every request does: the race is then only as tight as the limit allows.

Each round's name is free (fresh, and this run's alone), so one racer must take it: a round
that every racer lost refused valid requests, which is CRUD-01's failure for creates and
CRUD-03's for renames (whatever code came back), as a lone refused create or update is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import pytest
import requests

from conformance.checks.client import (
    audience_path,
    body_of,
    create_audience,
    delete_audience,
    error_codes,
    listed,
)
from conformance.checks.simultaneous import Racers, Send
from conformance.contract.facts import AUDIENCES_PATH, CHANNELS
from conformance.http.target import Target
from conformance.run.profiles import Profile
from conformance.run.session import current
from conformance.verdict.violations import RuleViolation, check

RUN = current()
FRESH = RUN.namer.fresh
RACERS = 4  # requests per round: enough to race, few enough for a throttled staging


def _statuses(responses: Sequence[requests.Response]) -> list[int]:
    return [response.status_code for response in responses]


def _refusals_are_1309(
    responses: Sequence[requests.Response], winners: Sequence[requests.Response], *, what: str
) -> None:
    """Every response but the winner's is 409 with code 1309; a violation carries the one that is not."""
    for response in responses:
        if any(response is winner for winner in winners):
            continue
        check(
            response.status_code == 409,
            "VAL-1309",
            expected="409 with code 1309 for every racer but the one that took the name",
            received=f"HTTP {response.status_code} (all: {_statuses(responses)})",
            response=response,
            context=what,
        )
        codes = error_codes(response)
        check(
            1309 in codes,
            "VAL-1309",
            expected="code 1309 among errors[].code",
            received=f"codes {codes}",
            response=response,
            context=what,
        )


def _id_of(response: requests.Response) -> str:
    body = body_of(response)
    data = body.get("data") if isinstance(body, dict) else None
    identifier = data.get("id") if isinstance(data, dict) else None
    check(
        isinstance(identifier, str),
        "AUD-01",
        expected="{'data': Audience} with a string id",
        received=response.text[:200],
        response=response,
    )
    return str(identifier)


def _listed_ids(target: Target, names: set[str]) -> dict[str, set[str]]:
    """name -> the distinct ids the query operation lists under it, for ``names``."""
    found: dict[str, set[str]] = {name: set() for name in names}
    for item in listed(target):
        if item.get("name") in found:
            found[str(item["name"])].add(str(item.get("id")))
    return found


@pytest.fixture
def racers(writable: None) -> Iterator[Racers]:
    with Racers(RACERS) as started:
        yield started


def _warm_up(target: Target, racers: Racers) -> None:
    """One read from each racer first, so each holds an open connection: the racing requests then
    leave without a handshake between them."""
    racers.at_once([partial(target.get, AUDIENCES_PATH, params={"page_size": 1})] * RACERS)


@pytest.mark.writes
@pytest.mark.rule("VAL-1309", "CRUD-01")
def test_racing_creates_of_one_name_make_one_audience(
    target: Target, racers: Racers, profile: Profile
) -> None:
    """VAL-1309: creates of one new name sent at the same moment make exactly one audience.

    1. Each round: RACERS creates of one fresh name (their channels differ) leave together.
    2. Exactly one answers 201 (none: CRUD-01, the free name refused; more: VAL-1309); every
       other answers 409 with code 1309.
    3. After the rounds, the account lists exactly one audience of each round's name (a
       duplicate the server made without saying so is found here; the run's cleanup deletes it).
    """
    _warm_up(target, racers)
    winners: dict[str, list[str]] = {}
    for _ in range(profile.race_rounds):
        name = FRESH()
        body = [
            {"data": {"name": name, "channel": CHANNELS[index % len(CHANNELS)]}}
            for index in range(RACERS)
        ]
        sends: list[Send] = [partial(target.post, AUDIENCES_PATH, json=data) for data in body]
        responses = racers.at_once(sends)
        created = [response for response in responses if response.status_code == 201]
        winners[name] = [_id_of(response) for response in created]
        what = f"{RACERS} creates of the new name {name!r} sent at one moment"
        if not created:
            raise RuleViolation(
                "CRUD-01",
                expected="one 201: the name is free, so one of the racing valid creates takes it",
                received=f"statuses {_statuses(responses)}",
                response=responses[-1],
                context=what,
            )
        if len(created) > 1:
            raise RuleViolation(
                "VAL-1309",
                expected="exactly one 201; 409 code 1309 for the others",
                received=f"statuses {_statuses(responses)}",
                response=created[-1],
                context=what,
            )
        _refusals_are_1309(responses, created, what=what)
    for name, ids in _listed_ids(target, set(winners)).items():
        check(
            len(ids) <= 1,
            "VAL-1309",
            expected=f"the account lists one audience named {name!r}",
            received=f"{len(ids)}: ids {sorted(ids)}",
            context="listing after racing creates",
        )
        check(
            ids == set(winners[name]),
            "PAGE-04",
            expected=f"the listing shows the audience created as {name!r} ({winners[name][0]})",
            received=f"ids {sorted(ids)}",
            context="listing after racing creates",
        )
    for winner_ids in winners.values():
        for audience_id in winner_ids:
            delete_audience(target, audience_id)  # the account stays small for the tests after


@pytest.fixture
def contenders(target: Target, writable: None) -> Iterator[list[dict[str, Any]]]:
    """The run's own audiences that race to take one name each round."""
    made = [
        create_audience(target, FRESH(), CHANNELS[index % len(CHANNELS)]) for index in range(RACERS)
    ]
    yield made
    for audience in made:
        delete_audience(target, audience["id"])


@pytest.mark.writes
@pytest.mark.rule("VAL-1309", "CRUD-03")
def test_racing_renames_to_one_name_leave_one_audience_with_it(
    target: Target, racers: Racers, contenders: list[dict[str, Any]], profile: Profile
) -> None:
    """VAL-1309, CRUD-03: renames of several audiences to one free name sent at the same moment give it to exactly one.

    1. Each round: the contenders are renamed to one fresh name, all at one moment.
    2. Exactly one answers 200 (none: CRUD-03, a valid rename refused; more: VAL-1309); every
       other answers 409 with code 1309.
    3. Get each contender: exactly the one that answered 200 is named so (a rename the server
       applied while refusing it is found here too).
    """
    _warm_up(target, racers)
    for _ in range(profile.race_rounds):
        name = FRESH()
        sends: list[Send] = [
            partial(target.put, audience_path(audience["id"]), json={"data": {"name": name}})
            for audience in contenders
        ]
        responses = racers.at_once(sends)
        renamed = [response for response in responses if response.ok]
        what = f"{RACERS} renames to the new name {name!r} sent at one moment"
        check(
            bool(renamed),
            "CRUD-03",
            expected="one 200: the name is free, so one of the racing valid renames takes it",
            received=f"statuses {_statuses(responses)}",
            response=responses[-1],
            context=what,
        )
        check(
            len(renamed) == 1,
            "VAL-1309",
            expected="exactly one 200; 409 code 1309 for the others",
            received=f"statuses {_statuses(responses)}",
            response=renamed[-1],
            context=what,
        )
        _refusals_are_1309(responses, renamed, what=what)
        holders = []
        for audience in contenders:
            now = target.get(audience_path(audience["id"]))
            check(
                now.status_code == 200,
                "CRUD-02",
                expected=f"200 for the run's audience {audience['id']}",
                received=f"HTTP {now.status_code}",
                response=now,
            )
            data = body_of(now).get("data")
            if isinstance(data, dict) and data.get("name") == name:
                holders.append(audience["id"])
        check(
            len(holders) <= 1,
            "VAL-1309",
            expected=f"at most one audience named {name!r} after the race",
            received=f"{len(holders)}: ids {holders}",
            context=what,
        )
        winner = next(
            audience["id"]
            for audience, response in zip(contenders, responses, strict=True)
            if response.ok
        )
        check(
            holders == [winner],
            "CRUD-03",
            expected=f"{winner}, whose rename answered 200, named {name!r} after the race",
            received=f"named so: {holders}",
            context=what,
        )
