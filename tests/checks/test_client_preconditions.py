"""A valid query the target refuses is a failure of the rule that requires it, never a skip."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from recording_server import RecordingServer, Reply

from conformance.checks.client import expect_accepted, listed, total_of
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
JSON = {"Content-Type": "application/json"}
NOT_FOUND: Reply = (404, JSON, b'{"errors": [{"code": 1301, "message": "no"}]}')


def _target(url: str) -> Target:
    return Target(url, "k-primary-key", RequestPolicy(origin=Origin.of(url)))


@pytest.mark.parametrize(
    ("params", "rule"), [({}, "PAGE-04"), ({"filter[channel]": "SMS"}, "FILT-01")]
)
def test_a_refused_list_fails_its_rule(
    recording_server: StartServer, params: dict[str, str], rule: str
) -> None:
    server = recording_server(lambda method, path: NOT_FOUND)
    with pytest.raises(RuleViolation) as raised:
        list(listed(_target(server.url), **params))
    assert raised.value.rule == rule and raised.value.received == "HTTP 404"
    with pytest.raises(RuleViolation) as raised:
        total_of(_target(server.url), **params)
    assert raised.value.rule == rule


def test_a_list_without_a_total_fails_page_02(recording_server: StartServer) -> None:
    page = {"data": [], "pagination": {"number": 1, "size": 0, "links": {"next": None}}}
    server = recording_server(lambda method, path: (200, JSON, json.dumps(page).encode()))
    with pytest.raises(RuleViolation) as raised:
        total_of(_target(server.url))
    assert raised.value.rule == "PAGE-02"


def test_a_listed_total_is_returned(recording_server: StartServer) -> None:
    page = {"data": [], "pagination": {"number": 1, "size": 0, "total": 7, "links": {"next": None}}}
    server = recording_server(lambda method, path: (200, JSON, json.dumps(page).encode()))
    assert total_of(_target(server.url)) == 7
    assert list(listed(_target(server.url))) == []


def _answering(recording_server: StartServer, status: int, document: object) -> requests.Response:
    server = recording_server(lambda method, path: (status, JSON, json.dumps(document).encode()))
    return requests.post(
        server.url + "/v1/audiences",
        json={"data": {"name": "n", "channel": "SMS", "contacts": [{"number": "+0000000"}]}},
        timeout=5,
    )


@pytest.mark.parametrize(("status", "code"), [(400, 1354), (400, 1304), (409, 1309), (501, 1000)])
def test_a_refused_valid_create_fails_crud_01_whatever_code_came_back(
    recording_server: StartServer, status: int, code: int
) -> None:
    """A code of the table names a fault the request does not have: the refusal is CRUD-01's."""
    response = _answering(recording_server, status, {"errors": [{"code": code, "message": "no"}]})
    with pytest.raises(RuleViolation) as raised:
        expect_accepted(response, status=201, what="the contact number '+0000000'", rule="CRUD-01")
    assert (
        raised.value.rule == "CRUD-01" and raised.value.received == f"HTTP {status}, codes [{code}]"
    )


def test_an_accepted_valid_create_gives_the_audience(recording_server: StartServer) -> None:
    audience = {"id": "a1", "name": "n", "channel": "SMS"}
    assert (
        expect_accepted(
            _answering(recording_server, 201, {"data": audience}),
            status=201,
            what="a create",
            rule="CRUD-01",
        )
        == audience
    )
    with pytest.raises(RuleViolation) as raised:
        expect_accepted(
            _answering(recording_server, 201, {"data": {"name": "n"}}),
            status=201,
            what="a create",
            rule="CRUD-01",
        )
    assert raised.value.rule == "CRUD-01"
