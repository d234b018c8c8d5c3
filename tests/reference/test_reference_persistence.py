"""Data and page tokens survive a restart; concurrent writes keep names unique (VAL-1309)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from reference_client import (
    Client,
    Reference,
    assert_envelope,
    query_of,
    running_reference,
    unique_name,
)

from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    with running_reference(
        str(tmp_path_factory.mktemp("concurrent") / "audiences.sqlite3")
    ) as running:
        yield running


def test_data_and_page_tokens_survive_a_restart(tmp_path: Path) -> None:
    """Audiences, contacts and a page token from before a restart still work after it."""
    db, key = str(tmp_path / "audiences.sqlite3"), generate_key()
    with ReferenceServer(db=db, keys={key: "acct"}) as server:
        client = Client(server.base_url, key, "acct")
        created = [
            client.create(contacts=[{"number": "+15550001", "first_name": "Ann"}]) for _ in range(5)
        ]
        first_page = client.call("GET", "/v1/audiences?page_size=2").json()
        second_page = client.call("GET", first_page["pagination"]["links"]["next"]).json()
        token = query_of(first_page["pagination"]["links"]["next"])["page_token"][0]
        client.close()
    with ReferenceServer(db=db, keys={key: "acct"}) as server:
        client = Client(server.base_url, key, "acct")
        assert (
            client.call("GET", f"/v1/audiences/{created[0]['id']}").json()["data"]["name"]
            == created[0]["name"]
        )
        contacts = client.call("GET", f"/v1/audiences/{created[0]['id']}/contacts").json()["data"]
        assert [(contact["number"], contact["first_name"]) for contact in contacts] == [
            ("+15550001", "Ann")
        ]
        after_restart = client.call("GET", f"/v1/audiences?page_size=2&page_token={token}").json()
        assert [item["id"] for item in after_restart["data"]] == [
            item["id"] for item in second_page["data"]
        ]
        assert after_restart["pagination"]["number"] == 2
        assert_envelope(
            client.call(
                "POST",
                "/v1/audiences",
                json={"data": {"name": created[1]["name"], "channel": "SMS"}},
            ),
            409,
            1309,
        )
        client.close()


def test_tokens_of_another_database_are_refused(tmp_path: Path) -> None:
    """PAGE-11: each database signs with its own secret, so its tokens mean nothing elsewhere."""
    first, second = Store(str(tmp_path / "a.sqlite3")), Store(str(tmp_path / "b.sqlite3"))
    assert first.cursor_secret != second.cursor_secret
    reopened = Store(str(tmp_path / "a.sqlite3"))
    assert reopened.cursor_secret == first.cursor_secret
    for store in (first, second, reopened):
        store.close()


def test_concurrent_creates_of_one_name_leave_exactly_one(reference: Reference) -> None:
    """VAL-1309 under concurrency: 20 parallel creates of one name give one 201 and nineteen 409/1309."""
    client = reference.fresh_client()
    name = unique_name("race")
    barrier = threading.Barrier(20)
    responses: list[requests.Response] = []
    lock = threading.Lock()

    def create() -> None:
        with requests.Session() as session:
            barrier.wait()
            response = session.post(
                f"{client.base_url}/v1/audiences",
                json={"data": {"name": name, "channel": "SMS"}},
                headers={"X-Dexatel-Key": client.key},
                timeout=10,
            )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(response.status_code for response in responses) == [201] + [409] * 19
    for response in responses:
        if response.status_code == 409:
            assert_envelope(response, 409, 1309)
    listed = client.call("GET", "/v1/audiences").json()
    assert [item["name"] for item in listed["data"]] == [name]


def test_concurrent_renames_onto_one_name_leave_one_holder(reference: Reference) -> None:
    """VAL-1309 under concurrency: of ten audiences renamed to one name at once, one succeeds."""
    client = reference.fresh_client()
    audiences = [client.create() for _ in range(10)]
    name = unique_name("target")
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def rename(audience_id: str) -> None:
        with requests.Session() as session:
            barrier.wait()
            response = session.put(
                f"{client.base_url}/v1/audiences/{audience_id}",
                json={"data": {"name": name}},
                headers={"X-Dexatel-Key": client.key},
                timeout=10,
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=rename, args=(audience["id"],)) for audience in audiences]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 9
    names = [item["name"] for item in client.call("GET", "/v1/audiences").json()["data"]]
    assert names.count(name) == 1


def test_in_memory_store_is_safe_across_threads() -> None:
    """A ':memory:' store serves many threads from one connection without errors."""
    store = Store(":memory:")
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for step in range(20):
                store.create_audience(f"acct-{index}", f"n{step}", "SMS", [])
                store.list_audiences(f"acct-{index}", None, 0, 5)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert errors == []
