"""A valid query the target refuses is a failure of the rule that requires it, never a skip."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from conformance.client import listed, total_of
from conformance.target import Origin, RequestPolicy, Target
from conformance.violations import RuleViolation

from conftest import RecordingServer, Reply

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
JSON = {"Content-Type": "application/json"}
NOT_FOUND: Reply = (404, JSON, b'{"errors": [{"code": 1301, "message": "no"}]}')


def _target(url: str) -> Target:
    return Target(url, "k-primary-key", RequestPolicy(origin=Origin.of(url)))


@pytest.mark.parametrize(("params", "rule"), [({}, "PAGE-04"), ({"filter[channel]": "SMS"}, "FILT-01")])
def test_a_refused_list_fails_its_rule(recording_server: StartServer, params: dict[str, str], rule: str) -> None:
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
