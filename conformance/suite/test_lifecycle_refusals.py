"""The error envelope of every refusal along an audience's life (ERR-01, ERR-02): refused reads
(bad ids, no key, a bad query) and refused writes (any fault of the code table, bad ids, bad
bodies, PATCH) answer 4xx with the contract's ``errors`` array, never a 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import faults, identifiers
from conformance.checks.client import audience_path, body_of, error_codes
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import current
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh
CREATE_FAULTS = faults.create_faults(FRESH)
UPDATE_FAULTS = faults.update_faults(FRESH)


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
    target: Target, kept_audience: dict[str, Any], data: st.DataObject
) -> None:
    """ERR-01: refused creates and updates (any fault of the table, bad ids, bad bodies, PATCH) carry the envelope."""
    probe = data.draw(write_probes(kept_audience["id"]), label="probe")
    check_envelope(probe.send(target), probe)


@pytest.mark.writes
@pytest.mark.rule("ERR-02")
@given(data=st.data())
def test_refused_writes_carry_the_documented_error_fields(
    target: Target, kept_audience: dict[str, Any], data: st.DataObject
) -> None:
    """ERR-02: each error item of a refused write also has status, timestamp, path and method."""
    probe = data.draw(write_probes(kept_audience["id"]), label="probe")
    check_error_fields(probe.send(target), probe)
