"""The store's SQLite tables, and the SQL its queries share: the schema with its indexes, the
per-channel counts kept by triggers, the search's case folding, and rows read back as records.
"""

from __future__ import annotations

import sqlite3

from conformance.reference.records import AudienceRecord, ContactRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audiences (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    create_date TEXT NOT NULL,
    update_date TEXT NOT NULL,
    UNIQUE (account_id, name)  -- VAL-1309, TEN-02: names are unique within an account
);
CREATE INDEX IF NOT EXISTS audiences_by_account ON audiences (account_id, channel, seq);
CREATE INDEX IF NOT EXISTS audiences_in_order ON audiences (account_id, seq);
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    audience_id TEXT NOT NULL,
    number TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    create_date TEXT NOT NULL,
    update_date TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_by_audience ON contacts (account_id, audience_id, seq);
"""

# PAGE-02 totals without a scan per page: how many audiences each account holds per channel,
# kept by triggers, so every write (a faulty variant's own SQL included) keeps it true.
COUNTS_SCHEMA = """
CREATE TABLE audience_counts (
    account_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (account_id, channel)
) WITHOUT ROWID;
INSERT INTO audience_counts (account_id, channel, n) SELECT account_id, channel, COUNT(*) FROM audiences GROUP BY account_id, channel;
CREATE TRIGGER audience_counted AFTER INSERT ON audiences BEGIN
    INSERT INTO audience_counts (account_id, channel, n) VALUES (NEW.account_id, NEW.channel, 1)
        ON CONFLICT (account_id, channel) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER audience_uncounted AFTER DELETE ON audiences BEGIN
    UPDATE audience_counts SET n = n - 1 WHERE account_id = OLD.account_id AND channel = OLD.channel;
END;
CREATE TRIGGER audience_recounted AFTER UPDATE OF account_id, channel ON audiences BEGIN
    UPDATE audience_counts SET n = n - 1 WHERE account_id = OLD.account_id AND channel = OLD.channel;
    INSERT INTO audience_counts (account_id, channel, n) VALUES (NEW.account_id, NEW.channel, 1)
        ON CONFLICT (account_id, channel) DO UPDATE SET n = n + 1;
END;
"""

AUDIENCE_COLUMNS = """
    a.seq, a.id, a.account_id, a.name, a.channel, a.create_date, a.update_date,
    (SELECT COUNT(*) FROM contacts c WHERE c.account_id = a.account_id AND c.audience_id = a.id) AS contacts_count
"""
SEARCH_MATCH = "(:search IS NULL OR folded_contains(number, :search) OR folded_contains(first_name, :search) OR folded_contains(last_name, :search))"


def folded_contains(text: object, needle: object) -> bool:
    """CRUD-06: case-insensitive containment, for all of Unicode (SQLite's lower() is ASCII only)."""
    return (
        isinstance(text, str) and isinstance(needle, str) and needle.casefold() in text.casefold()
    )


def channel_clause(channel: str | None) -> str:
    """The channel condition, present only when filtering, so that SQLite can walk an index in
    seq order (``(:channel IS NULL OR ...)`` would make it sort every row of the account)."""
    return "" if channel is None else " AND a.channel = :channel"


def statements(script: str) -> list[str]:
    """The statements of ``script``, run one by one inside a transaction (executescript would commit)."""
    statements, pending = [], ""
    for line in script.strip().splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements


def audience_of(row: sqlite3.Row) -> AudienceRecord:
    # By position: AUDIENCE_COLUMNS are the record's fields in order; a page builds a hundred per request.
    return AudienceRecord._make(row)


def contact_of(row: sqlite3.Row) -> ContactRecord:
    return ContactRecord(
        row["seq"],
        row["id"],
        row["account_id"],
        row["audience_id"],
        row["number"],
        row["first_name"],
        row["last_name"],
        row["create_date"],
        row["update_date"],
    )
