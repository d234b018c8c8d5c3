"""Whole runs under workers: one --rate-limit for every process of the run, counted at the
server, and ``--workers auto`` counting more processes across a slow network."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mutation.harness import Served, run_suite
from network_staging import Arrival, RecordsArrivals, most_in_any_second
from starlette.types import ASGIApp

from conformance.plugin.worker_count import auto_workers, cores
from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.latency import Latency
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store
from conformance.report.run_properties import read_property

pytestmark = pytest.mark.slow

RATE = 20
# Their tests (schemathesis' among them) send a few hundred requests, on three workers.
RULES = ("AUTH-01", "ROB-01")


@contextmanager
def _reference(seen: list[Arrival], latency: float = 0.0) -> Iterator[Served]:
    """The reference on loopback, every request it receives timestamped in ``seen``."""
    with tempfile.TemporaryDirectory(prefix="limits-reference-") as folder:
        store = Store(str(Path(folder) / "audiences.sqlite3"))
        key, secondary = generate_key(), generate_key()
        app: ASGIApp = create_app(store, {key: "account-a", secondary: "account-b"})
        try:
            with ReferenceServer(RecordsArrivals(Latency(app, latency), seen)) as server:
                yield Served(server.base_url, key, secondary)
        finally:
            store.close()


def test_the_rate_limit_holds_at_the_server_across_workers_and_connections() -> None:
    """Three workers sharing six connections: never more than RATE requests in any second."""
    seen: list[Arrival] = []
    with _reference(seen) as served:
        run = run_suite(
            served,
            rules=RULES,
            extra=("--rate-limit", f"{RATE}/s", "--workers", "3", "--concurrency", "6"),
        )
    assert run.exit_code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "created: 3/3 workers" in run.stdout
    assert len(seen) > 200
    assert most_in_any_second([arrival.at for arrival in seen]) <= RATE


def test_auto_counts_more_workers_at_fifty_ms_and_says_why() -> None:
    """Against a reference answering 50 ms late, ``auto`` starts more workers than cores, and
    says how many and why in one line; the JUnit file records the count."""
    seen: list[Arrival] = []
    with _reference(seen, latency=0.05) as served:
        run = run_suite(served, rules=("AUTH-01",), extra=("--workers", "auto"))
    assert run.exit_code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    said = re.search(
        r"^audience-conformance: workers: (\d+) \((\d+) cores?, (\d+) ms round trip\)$",
        run.stdout,
        re.MULTILINE,
    )
    assert said is not None, run.stdout[-3000:]
    count, available, milliseconds = (int(group) for group in said.groups())
    assert available == cores() and milliseconds >= 50
    rounded = {auto_workers(available, (milliseconds + half) / 1000, 8) for half in (-0.5, 0.5)}
    assert count in rounded and count > available
    assert f"created: {count}/{count} workers" in run.stdout
    assert run.folder is not None
    assert read_property(run.folder / "junit.xml", "workers") == str(count)
