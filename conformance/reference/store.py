"""SQLite storage of audiences and their contacts, per account.

One connection guarded by a lock makes every method atomic under uvicorn's threads; each
write is one transaction, so a refused or failed write leaves nothing behind (VAL-01).
``seq`` (AUTOINCREMENT, never reused) orders each collection oldest first and is the
position page tokens carry. Methods are small so faulty variants can override one at a time.
The tables and the SQL the queries share are in :mod:`conformance.reference.tables`.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from conformance.reference.clock import utc_now_text
from conformance.reference.records import AudienceRecord, ContactRecord, NewContact
from conformance.reference.tables import (
    AUDIENCE_COLUMNS,
    COUNTS_SCHEMA,
    SCHEMA,
    SEARCH_MATCH,
    audience_of,
    channel_clause,
    contact_of,
    folded_contains,
    statements,
)


class NameTaken(Exception):
    """Raised when a create or rename would give an account two audiences of one name."""


def new_public_id() -> str:
    """An opaque identifier within the contract's pattern ``^[A-Za-z0-9_-]{1,64}$``."""
    return secrets.token_hex(16)


class Store:
    """Audiences and contacts in one SQLite file (or ``:memory:``, for tests)."""

    def __init__(self, path: str, *, clock: Callable[[], str] = utc_now_text) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.create_function("folded_contains", 2, folded_contains, deterministic=True)
        with self._lock:
            self._db.execute("PRAGMA journal_mode = WAL")
            # WAL with NORMAL sync: a commit survives the process, not a power cut, and costs no fsync.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._db.executescript(SCHEMA)
            self._add_counts()
            self.cursor_secret = self._load_cursor_secret()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- plumbing ---------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is kept, or none of it (VAL-01)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: dict[str, Any]) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _add_counts(self) -> None:
        """The per-channel counts and their triggers, counted once from the rows a file already holds."""
        with self._transaction() as db:
            if (
                db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audience_counts'"
                ).fetchone()
                is None
            ):
                for statement in statements(COUNTS_SCHEMA):
                    db.execute(statement)

    def _load_cursor_secret(self) -> bytes:
        """The page-token signing key, made once per database so tokens survive a restart."""
        self._db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('cursor_secret', ?)",
            (secrets.token_hex(32),),
        )
        row = self._db.execute("SELECT value FROM meta WHERE key = 'cursor_secret'").fetchone()
        return bytes.fromhex(row["value"])

    # -- audiences --------------------------------------------------------------------

    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: Sequence[NewContact]
    ) -> AudienceRecord:
        """Insert an audience and its contacts together; NameTaken when the account has the name."""
        now = self._clock()
        audience_id = new_public_id()
        with self._transaction() as db:
            try:
                cursor = db.execute(
                    "INSERT INTO audiences (id, account_id, name, channel, create_date, update_date) VALUES (?, ?, ?, ?, ?, ?)",
                    (audience_id, account_id, name, channel, now, now),
                )
            except sqlite3.IntegrityError:
                raise NameTaken(name) from None
            db.executemany(
                "INSERT INTO contacts (id, account_id, audience_id, number, first_name, last_name, create_date, update_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        new_public_id(),
                        account_id,
                        audience_id,
                        c.number,
                        c.first_name,
                        c.last_name,
                        now,
                        now,
                    )
                    for c in contacts
                ],
            )
        assert cursor.lastrowid is not None
        return AudienceRecord(
            cursor.lastrowid, audience_id, account_id, name, channel, now, now, len(contacts)
        )

    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        """The account's audience of that id; another account's is None, as a missing one (TEN-01)."""
        rows = self._read(
            f"SELECT {AUDIENCE_COLUMNS} FROM audiences a WHERE a.account_id = :account AND a.id = :id",
            {"account": account_id, "id": audience_id},
        )
        return audience_of(rows[0]) if rows else None

    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        """CRUD-03: change the name only; update_date becomes now and never goes back."""
        with self._transaction() as db:
            try:
                cursor = db.execute(
                    "UPDATE audiences SET name = :name, update_date = max(update_date, :now) WHERE account_id = :account AND id = :id",
                    {"name": name, "now": self._clock(), "account": account_id, "id": audience_id},
                )
            except sqlite3.IntegrityError:
                raise NameTaken(name) from None
            if cursor.rowcount == 0:
                return None
            row = db.execute(
                f"SELECT {AUDIENCE_COLUMNS} FROM audiences a WHERE a.account_id = ? AND a.id = ?",
                (account_id, audience_id),
            ).fetchone()
        return audience_of(row)

    def delete_audience(self, account_id: str, audience_id: str) -> bool:
        """Remove an audience with its contacts; False when the account has no such audience."""
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM audiences WHERE account_id = ? AND id = ?", (account_id, audience_id)
            )
            db.execute(
                "DELETE FROM contacts WHERE account_id = ? AND audience_id = ?",
                (account_id, audience_id),
            )
        return cursor.rowcount > 0

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        """Up to ``limit`` of the account's audiences after ``after_seq``, oldest first (PAGE-07)."""
        rows = self._read(
            f"SELECT {AUDIENCE_COLUMNS} FROM audiences a WHERE a.account_id = :account{channel_clause(channel)} AND a.seq > :after ORDER BY a.seq LIMIT :limit",
            {"account": account_id, "channel": channel, "after": after_seq, "limit": limit},
        )
        return [audience_of(row) for row in rows]

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        """PAGE-02: how many of the account's audiences match, now (kept by triggers: no scan)."""
        rows = self._read(
            f"SELECT COALESCE(SUM(n), 0) AS n FROM audience_counts a WHERE a.account_id = :account{channel_clause(channel)}",
            {"account": account_id, "channel": channel},
        )
        return int(rows[0]["n"])

    def audience_seq_before(
        self, account_id: str, channel: str | None, up_to_seq: int, skip: int
    ) -> int | None:
        """The seq ``skip`` matching audiences back from ``up_to_seq`` (inclusive); None past the start."""
        rows = self._read(
            f"SELECT a.seq FROM audiences a WHERE a.account_id = :account{channel_clause(channel)} AND a.seq <= :up_to ORDER BY a.seq DESC LIMIT 1 OFFSET :skip",
            {"account": account_id, "channel": channel, "up_to": up_to_seq, "skip": skip},
        )
        return int(rows[0]["seq"]) if rows else None

    # -- contacts ---------------------------------------------------------------------

    def list_contacts(
        self, account_id: str, audience_id: str, search: str | None, after_seq: int, limit: int
    ) -> list[ContactRecord]:
        """Up to ``limit`` of an audience's contacts after ``after_seq``, in the order given at create."""
        rows = self._read(
            f"SELECT * FROM contacts WHERE account_id = :account AND audience_id = :audience AND {SEARCH_MATCH} AND seq > :after ORDER BY seq LIMIT :limit",
            {
                "account": account_id,
                "audience": audience_id,
                "search": search,
                "after": after_seq,
                "limit": limit,
            },
        )
        return [contact_of(row) for row in rows]

    def count_contacts(self, account_id: str, audience_id: str, search: str | None) -> int:
        """PAGE-02 for contacts: how many match the search, now."""
        rows = self._read(
            f"SELECT COUNT(*) AS n FROM contacts WHERE account_id = :account AND audience_id = :audience AND {SEARCH_MATCH}",
            {"account": account_id, "audience": audience_id, "search": search},
        )
        return int(rows[0]["n"])

    def contact_seq_before(
        self, account_id: str, audience_id: str, search: str | None, up_to_seq: int, skip: int
    ) -> int | None:
        """The seq ``skip`` matching contacts back from ``up_to_seq`` (inclusive); None past the start."""
        rows = self._read(
            f"SELECT seq FROM contacts WHERE account_id = :account AND audience_id = :audience AND {SEARCH_MATCH} AND seq <= :up_to ORDER BY seq DESC LIMIT 1 OFFSET :skip",
            {
                "account": account_id,
                "audience": audience_id,
                "search": search,
                "up_to": up_to_seq,
                "skip": skip,
            },
        )
        return int(rows[0]["seq"]) if rows else None
