"""A shared staging account, as users point the suite at it: data that is not the run's, counted at the server.

:func:`shared_staging` serves the reference on loopback with both accounts already holding
audiences somebody else made (every channel, some with contacts, some named with another
run's ``acx..._`` prefix, some created long ago), and counts at the server every request that
could change something. :func:`snapshot` reads the database itself, so "nothing changed" and
"nothing of the run is left" are facts of the server, not of the suite's own account.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.records import NewContact
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store

PRIMARY, SECONDARY = "staging-primary", "staging-secondary"
LONG_AGO = "2026-01-02 03:04:05"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Names a person or another pipeline gave: every channel, contacts or none, other runs' prefixes.
PRE_EXISTING = (
    ("customer-list-sms", "SMS", 3),
    ("Spring_Campaign", "VIBER", 0),
    ("vip-whatsapp", "WHATSAPP", 10),
    ("acxzzz999_other_pipeline", "SMS", 1),
    ("acxabc123_left_by_a_crash", "VIBER", 0),
    ("newsletter", "WHATSAPP", 2),
    ("A", "SMS", 0),
    ("team-42", "VIBER", 5),
)
OLD = (("acxold001_left_long_ago", "SMS"), ("acxold002_left_long_ago", "WHATSAPP"))

Wrap = Callable[
    [ASGIApp, Store, Mapping[str, str]], ASGIApp
]  # (the reference, its store, key -> account) -> a faulty server
Row = tuple[
    str, str, str, str, str, str, tuple[tuple[str, str, str], ...]
]  # id, account, name, channel, dates, contacts


@dataclass
class ServerWrites:
    """Every request that could change data, as the server received it: (method, path, status)."""

    seen: list[tuple[str, str, int]] = field(default_factory=list)
    listeners: list[Callable[[str, str, int], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.seen.append((method, path, status))
        for listener in list(self.listeners):
            listener(method, path, status)

    def to(self, audience_ids: set[str]) -> list[tuple[str, str, int]]:
        """The writes whose path names one of ``audience_ids``."""
        with self.lock:
            return [
                entry
                for entry in self.seen
                if any(f"/{audience_id}" in entry[1] for audience_id in audience_ids)
            ]


class CountingApp:
    """Wraps an ASGI app and records each non-GET request with the status it got."""

    def __init__(self, app: ASGIApp, writes: ServerWrites) -> None:
        self.app, self.writes = app, writes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        status = 0

        async def watching(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            self.writes.record(
                scope["method"],
                scope.get("raw_path", b"").decode("latin-1") or scope["path"],
                status,
            )


@dataclass
class Staging:
    base_url: str
    api_key: str
    secondary_api_key: str
    db: Path
    before: dict[str, Row]
    writes: ServerWrites
    store: Store

    def env(self) -> dict[str, str]:
        return {
            "AUDIENCE_BASE_URL": self.base_url,
            "AUDIENCE_API_KEY": self.api_key,
            "AUDIENCE_SECONDARY_API_KEY": self.secondary_api_key,
        }

    def foreign_writes(self) -> list[tuple[str, str, int]]:
        return self.writes.to(set(self.before))

    def changes(self) -> tuple[dict[str, tuple[Row, Row | None]], dict[str, Row]]:
        """(pre-existing audiences that changed or went, audiences that were not there before)."""
        after = snapshot(self.db)
        changed = {
            audience_id: (row, after.get(audience_id))
            for audience_id, row in self.before.items()
            if after.get(audience_id) != row
        }
        added = {
            audience_id: row for audience_id, row in after.items() if audience_id not in self.before
        }
        return changed, added


def snapshot(db: Path) -> dict[str, Row]:
    """Every audience of the server with its contacts, read from its database."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        contacts: dict[str, list[tuple[str, str, str]]] = {}
        for audience_id, number, first, last in connection.execute(
            "SELECT audience_id, number, first_name, last_name FROM contacts ORDER BY seq"
        ):
            contacts.setdefault(audience_id, []).append((number, first, last))
        rows = connection.execute(
            "SELECT id, account_id, name, channel, create_date, update_date FROM audiences"
        )
        return {
            row[0]: (
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                tuple(contacts.get(row[0], ())),
            )
            for row in rows
        }
    finally:
        connection.close()


def populate(store: Store, old_store: Store) -> None:
    """Both accounts hold audiences that are not the run's (some made long ago)."""
    for account in (PRIMARY, SECONDARY):
        for name, channel, contact_count in PRE_EXISTING:
            contacts = [
                NewContact(f"+3749100{index:04d}", f"First{index}", f"Last{index}")
                for index in range(contact_count)
            ]
            store.create_audience(account, name, channel, contacts)
        for name, channel in OLD:
            old_store.create_audience(account, name, channel, [])


@contextmanager
def shared_staging(
    *, keys: tuple[str, str] | None = None, wrap: Wrap | None = None
) -> Iterator[Staging]:
    """The reference on loopback, both accounts pre-populated, writes counted at the server."""
    with tempfile.TemporaryDirectory(prefix="shared-staging-") as folder:
        db = Path(folder) / "staging.sqlite3"
        store = Store(str(db))
        old_store = Store(str(db), clock=lambda: LONG_AGO)
        try:
            populate(store, old_store)
        finally:
            old_store.close()
        key, secondary = keys or (generate_key(), generate_key())
        writes = ServerWrites()
        accounts = {key: PRIMARY, secondary: SECONDARY}
        app: ASGIApp = create_app(store, accounts)
        if wrap is not None:
            app = wrap(app, store, accounts)
        try:
            with ReferenceServer(CountingApp(app, writes)) as server:
                yield Staging(server.base_url, key, secondary, db, snapshot(db), writes, store)
        finally:
            store.close()


SUITE_RUN_TIMEOUT = 900.0


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "conformance", *args]


def run_env(staging: Staging, **extra: str) -> dict[str, str]:
    """The child's environment: the keys travel there, never on its command line."""
    return {**os.environ, **staging.env(), **extra}


def with_plugin(
    staging: Staging, folder: Path, name: str, source: str, **extra: str
) -> dict[str, str]:
    """:func:`run_env` for a child that loads ``source`` as the pytest plugin ``name`` (written
    to ``folder``)."""
    (folder / f"{name}.py").write_text(source)
    return run_env(
        staging,
        PYTHONPATH=os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
        PYTEST_PLUGINS=name,
        **extra,
    )


def run_cli(
    staging: Staging,
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = SUITE_RUN_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """``audience-conformance ARGS`` in a child process, as a CI job starts it."""
    return subprocess.run(
        cli(*args),
        env=env or run_env(staging),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )
