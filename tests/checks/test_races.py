"""Racing requests (VAL-1309): sent together from threads of their own, through the one request
path, which counts and observes each of them; a racer's error reaches the test."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from functools import partial

import pytest
import requests
from recording_server import RecordingServer, Reply

from conformance.checks.simultaneous import Racers
from conformance.errors import ReadOnlyViolation
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.ledger import Ledger
from conformance.http.target import Target

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
RACERS = 8
ROUNDS = 5


def test_every_racing_create_is_counted_and_recorded(recording_server: StartServer) -> None:
    """Each thread sends on a session of its own (a sticky cookie comes with every answer), all
    on the one adapter: the count, the ledger and the server agree on every request."""
    ids = itertools.count()
    server = recording_server(
        lambda method, path: (
            201,
            {"Content-Type": "application/json", "Set-Cookie": f"sticky={next(ids)}"},
            json.dumps({"data": {"id": f"a{next(ids)}"}}).encode(),
        )
    )
    ledger = Ledger()
    target = Target(
        server.url,
        "k-primary",
        RequestPolicy(origin=Origin.of(server.url), observers=[ledger.observe]),
    )
    sessions: set[int] = set()

    def create() -> requests.Response:
        sessions.add(id(target._session_here()))
        return target.post("/v1/audiences", json={"data": {"name": "n", "channel": "SMS"}})

    with Racers(RACERS) as racers:
        for _ in range(ROUNDS):
            assert [response.status_code for response in racers.at_once([create] * RACERS)] == [
                201
            ] * RACERS
    target.close()
    assert target.adapter.requests_sent == len(server.seen) == RACERS * ROUNDS
    assert len(ledger.created("k-primary")) == RACERS * ROUNDS
    assert len(sessions) == RACERS and id(target.session) not in sessions


def test_a_racer_error_is_raised_once_every_racer_is_done(recording_server: StartServer) -> None:
    server = recording_server(
        lambda method, path: (200, {"Content-Type": "application/json"}, b"{}")
    )
    target = Target(server.url, "k", RequestPolicy(origin=Origin.of(server.url), read_only=True))
    with Racers(2) as racers, pytest.raises(ReadOnlyViolation):
        racers.at_once(
            [partial(target.get, "/v1/audiences"), partial(target.post, "/v1/audiences", json={})]
        )
    assert [method for method, _, _ in server.seen] == ["GET"]
    target.close()


def test_a_race_needs_two_racers_and_one_request_each() -> None:
    with pytest.raises(ValueError):
        Racers(1)
    with Racers(2) as racers, pytest.raises(ValueError):
        racers.at_once([])
