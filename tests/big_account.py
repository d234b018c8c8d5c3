"""An account that already holds many audiences, written straight into the reference's SQLite store.

Creating thousands of audiences through the API takes minutes; one bulk insert into the
store's own tables takes a fraction of a second, and the reference serves them as if made
through the API (each row gets the next sequence number, so they precede what a run creates).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conformance.reference.clock import utc_now_text
from conformance.reference.store import Store, new_public_id

CHANNELS = ("SMS", "VIBER", "WHATSAPP")


def fill(db: Path, account: str, count: int, *, prefix: str = "existing") -> None:
    """``count`` audiences of ``account`` (channels in turn), straight into the store's tables."""
    Store(str(db)).close()  # the schema, the page-token secret
    now = utc_now_text()
    rows = (
        (new_public_id(), account, f"{prefix}-{index:06d}", CHANNELS[index % 3], now, now)
        for index in range(count)
    )
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO audiences (id, account_id, name, channel, create_date, update_date) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
