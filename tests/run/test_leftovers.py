"""Nothing of a run survives a misbehaving server: what its answers did not report is found by the run's prefix.

Each server below keeps audiences the run made without the ``201`` that would put them in the
ledger. At the end the run sweeps the account for its own prefix, deletes what it finds, and
says so in its output and its JUnit file. Counted at the server.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import pytest
from mutation.toolkit.answers import CHANNELS, Answer, Exchange, Rewrite, account_of
from staging import Wrap, run_cli, shared_staging
from starlette.types import ASGIApp

from conformance.reference.store import NameTaken, Store

pytestmark = pytest.mark.slow


def _keep(store: Store, account: str | None, data: dict[str, object]) -> dict[str, object] | None:
    """Store what a request named, as a faulty server would; None when it named nothing storable."""
    name, channel = data.get("name"), data.get("channel")
    if account is None or not isinstance(name, str) or not name:
        return None
    try:
        record = store.create_audience(account, name, channel if channel in CHANNELS else "SMS", [])
    except (NameTaken, UnicodeEncodeError):  # a name taken, or one no database can hold
        return None
    return {
        "id": record.id,
        "name": record.name,
        "channel": record.channel,
        "account_id": account,
        "create_date": record.create_date,
        "update_date": record.update_date,
    }


def creates_answered_200(app: ASGIApp, store: Store, accounts: Mapping[str, str]) -> ASGIApp:
    def answer(exchange: Exchange, reply: Answer) -> None:
        if exchange.method == "POST" and exchange.segments == [] and reply.status == 201:
            reply.status = 200

    return Rewrite(app, on_answer=answer)


def refused_creates_stored_anyway(
    app: ASGIApp, store: Store, accounts: Mapping[str, str]
) -> ASGIApp:
    def answer(exchange: Exchange, reply: Answer) -> None:
        if (
            exchange.method == "POST"
            and exchange.segments == []
            and reply.status in (400, 409, 413, 415)
        ):
            _keep(store, account_of(exchange, accounts), exchange.data())

    return Rewrite(app, on_answer=answer)


def updates_of_missing_audiences_create_them(
    app: ASGIApp, store: Store, accounts: Mapping[str, str]
) -> ASGIApp:
    def answer(exchange: Exchange, reply: Answer) -> None:
        if exchange.method == "PUT" and reply.status == 404:
            made = _keep(store, account_of(exchange, accounts), exchange.data())
            if made is not None:
                reply.status = 201
                reply.set_header(b"content-type", b"application/json")
                reply.set_json({"data": made})

    return Rewrite(app, on_answer=answer)


SERVERS: dict[str, Wrap] = {
    "a create answered 200": creates_answered_200,
    "a refused create stored anyway": refused_creates_stored_anyway,
    "an update of a missing audience creates it": updates_of_missing_audiences_create_them,
}


def _property(junit: Path, name: str) -> int:
    root = ET.parse(junit).getroot()
    return int(
        next(prop.get("value", "0") for prop in root.iter("property") if prop.get("name") == name)
    )


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_the_sweep_by_prefix_leaves_nothing_of_the_run(tmp_path: Path, server: str) -> None:
    junit = tmp_path / "junit.xml"
    with shared_staging(wrap=SERVERS[server]) as staging:
        done = run_cli(
            staging, "run", "--profile", "quick", "--junit-xml", str(junit), cwd=tmp_path
        )
        changed, added = staging.changes()
        assert staging.foreign_writes() == [] and changed == {}
        assert added == {}, f"left behind: {sorted(row[2] for row in added.values())}"
    output = done.stdout + done.stderr
    assert done.returncode in (1, 4), output[
        -3000:
    ]  # the server is faulty; what matters here is what is left
    found = _property(junit, "cleanup_leftovers_found")
    assert found > 0, output[-3000:]
    assert (
        _property(junit, "cleanup_leftovers_deleted") == found
        and _property(junit, "cleanup_leftovers_remaining") == 0
    )
    assert f"{found} more audience(s) named with this run's prefix were still there" in output
