"""The write guard at the request path: a write reaches only what the run created, or an id minted to be absent.

Every test sends real requests to a recording server on loopback and checks what arrived
there: a refused write must never leave the process.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from recording_server import RecordingServer, Reply

from conformance.errors import ForeignWriteRefused
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.ledger import Ledger
from conformance.http.target import Target
from conformance.http.write_guard import ABSENT_SHAPES, WELL_FORMED_ID, WriteGuard

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
CREATED: Reply = (
    201,
    {"Content-Type": "application/json"},
    json.dumps({"data": {"id": "mine-1", "name": "acxrun001_1"}}).encode(),
)
OK: Reply = (200, {"Content-Type": "application/json"}, b"{}")


def _guarded(server: RecordingServer, base_path: str = "") -> tuple[Target, WriteGuard]:
    ledger = Ledger()
    guard = WriteGuard(ledger, base_path=base_path, run_prefix="acxrun001_")
    policy = RequestPolicy(
        origin=Origin.of(server.url), observers=[ledger.observe], write_guard=guard.check
    )
    return Target(server.url + base_path, "k-primary", policy), guard


def _arrived(server: RecordingServer) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in server.seen]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST"])
def test_a_hand_made_write_to_a_foreign_id_is_never_sent(
    recording_server: StartServer, method: str
) -> None:
    """An id the run did not create: refused before sending, recorded, and the server sees nothing."""
    server = recording_server(lambda m, p: OK)
    target, guard = _guarded(server)
    with pytest.raises(ForeignWriteRefused, match="not created by this run"):
        target.request(method, "/v1/audiences/customer-list-42", json={"data": {"name": "x"}})
    assert _arrived(server) == []
    assert len(guard.refusals) == 1 and "customer-list-42" in guard.refusals[0]


def test_reads_of_any_audience_are_sent(recording_server: StartServer) -> None:
    server = recording_server(lambda m, p: OK)
    target, _ = _guarded(server)
    target.get("/v1/audiences/customer-list-42")
    target.get("/v1/audiences/customer-list-42/contacts")
    assert _arrived(server) == [
        ("GET", "/v1/audiences/customer-list-42"),
        ("GET", "/v1/audiences/customer-list-42/contacts"),
    ]


def test_what_the_run_created_may_be_changed_and_deleted(recording_server: StartServer) -> None:
    """The ledger learns the id from the 201, and from then on writes to it are let through."""
    server = recording_server(lambda m, p: CREATED if m == "POST" else OK)
    target, guard = _guarded(server)
    target.post("/v1/audiences", json={"data": {"name": "acxrun001_1", "channel": "SMS"}})
    target.put("/v1/audiences/mine-1", json={"data": {"name": "acxrun001_2"}})
    target.delete("/v1/audiences/mine-1")
    assert _arrived(server) == [
        ("POST", "/v1/audiences"),
        ("PUT", "/v1/audiences/mine-1"),
        ("DELETE", "/v1/audiences/mine-1"),
    ]
    assert guard.refusals == [] and guard.writes_let_through == 3


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize(
    "path", ["/v1/audiences", "/v1/audiences/", "/v1/audiences/%2F", "/v1/audiences//"]
)
def test_the_whole_collection_is_never_replaced_or_deleted(
    recording_server: StartServer, method: str, path: str
) -> None:
    server = recording_server(lambda m, p: OK)
    target, _ = _guarded(server)
    with pytest.raises(ForeignWriteRefused):
        target.request(method, path)
    assert _arrived(server) == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/audiences/%2E%2E/customer-1",  # '..' decoded: a server that normalises routes elsewhere
        "/v1/audiences/customer-1%2Fcontacts",  # a decoded slash: the first part is somebody's id
        "/V1/AUDIENCES/customer-1",  # a server that routes paths case-insensitively
        "/v1/x/../audiences/customer-1",  # dot-segments resolved by the server
    ],
)
def test_every_reading_of_the_path_must_name_an_id_of_the_run(
    recording_server: StartServer, path: str
) -> None:
    server = recording_server(lambda m, p: OK)
    target, guard = _guarded(server)
    guard.mint_malformed(
        "customer-1/contacts"
    )  # the exact text is minted, its decoded first part is not
    with pytest.raises(ForeignWriteRefused):
        target.delete(path)
    assert _arrived(server) == []


@pytest.mark.parametrize("shape", ABSENT_SHAPES)
def test_ids_minted_to_be_absent_are_well_formed_unique_and_writable(
    recording_server: StartServer, shape: str
) -> None:
    server = recording_server(lambda m, p: (404, {"Content-Type": "application/json"}, b"{}"))
    target, guard = _guarded(server)
    minted = {guard.mint_absent(shape) for _ in range(50)}
    assert len(minted) == 50 and all(WELL_FORMED_ID.match(identifier) for identifier in minted)
    target.delete(f"/v1/audiences/{min(minted)}")
    assert len(server.seen) == 1


def test_a_malformed_id_is_minted_only_when_it_is_malformed(recording_server: StartServer) -> None:
    """A well-formed text could be somebody's id: only mint_absent() makes those."""
    server = recording_server(lambda m, p: OK)
    target, guard = _guarded(server)
    with pytest.raises(ValueError, match="well-formed"):
        guard.mint_malformed("customer-1")
    with pytest.raises(ForeignWriteRefused):
        target.put("/v1/audiences/bad%20id%21", json={})
    guard.mint_malformed("bad id!")
    target.put("/v1/audiences/bad%20id%21", json={})
    with pytest.raises(ForeignWriteRefused):
        target.put("/v1/audiences/other%20id%21", json={})
    assert _arrived(server) == [("PUT", "/v1/audiences/bad%20id%21")]


def test_the_base_path_prefix_is_part_of_the_collection(recording_server: StartServer) -> None:
    server = recording_server(lambda m, p: OK)
    target, _ = _guarded(server, base_path="/api")
    with pytest.raises(ForeignWriteRefused):
        target.delete("/v1/audiences/customer-1")
    assert _arrived(server) == []
