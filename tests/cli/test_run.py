"""`audience-conformance run` end to end: verdict and exit code, JUnit properties, secrets, cleanup, read-only.

Each test runs the whole suite (quick profile) in a child process against a server on
loopback, exactly as a user's CI job would.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests
from mutation.catalogue import Server
from mutation.harness import Served, SuiteRun, run_suite, serve
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.contract.rules import RULES_BY_ID
from conformance.reference.app import create_app

CANARY = "canary-key-4f9d2b7e1c8a6053"
SECONDARY_CANARY = "canary-second-9a8b7c6d5e4f3210"
PREFIX = "acx"

pytestmark = pytest.mark.slow


def _reference(store: Any, keys: Mapping[str, str]) -> ASGIApp:
    return create_app(store, keys)


class _FailsLongNames:
    """A broken server: creating an audience whose name is over 20 characters answers 500 (ROB-01)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            name = json.loads(body)["data"]["name"]
        except (ValueError, KeyError, TypeError, RecursionError):
            name = None
        if isinstance(name, str) and len(name) > 20:
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"Internal Server Error"})
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class _RecordsMethods:
    """Wraps an app and records the method of every request that reaches it."""

    def __init__(self, app: ASGIApp, seen: list[str]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append(scope["method"])
        await self.app(scope, receive, send)


def _leftovers(served: Served) -> list[str]:
    """Names carrying a run prefix that are still on the server, in both accounts."""
    names = []
    for key in (served.api_key, served.secondary_api_key):
        url: str | None = served.base_url + "/v1/audiences?page_size=100"
        while url:
            page = requests.get(url, headers={"X-Dexatel-Key": key}, timeout=10).json()
            names += [item["name"] for item in page["data"] if item["name"].startswith(PREFIX)]
            url = page["pagination"]["links"]["next"]
    return names


def _everything_written(run: SuiteRun) -> str:
    assert run.folder is not None
    written = [run.stdout, run.stderr]
    for path in run.folder.rglob("*"):
        if path.is_file():
            written.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(written)


@pytest.fixture(scope="module")
def passing_run() -> Iterator[tuple[SuiteRun, list[str]]]:
    with serve(Server("reference", "the reference", _reference)) as served:
        run = run_suite(served)
        yield run, _leftovers(served)


@pytest.fixture(scope="module")
def failing_run() -> Iterator[tuple[SuiteRun, list[str]]]:
    broken = Server(
        "fails-long-names",
        "500 on long names",
        lambda store, keys: _FailsLongNames(create_app(store, keys)),
    )
    with serve(broken, keys=(CANARY, SECONDARY_CANARY)) as served:
        run = run_suite(served)
        yield run, _leftovers(served)


def test_conformant_target_exits_0_with_rule_and_level_on_every_testcase(
    passing_run: tuple[SuiteRun, list[str]],
) -> None:
    """Every testcase of the JUnit file names its rules and their levels; the verdict is CONFORMANT."""
    run, _ = passing_run
    assert run.exit_code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert len(run.records) > 50
    for record in run.records:
        assert record.rules, record.nodeid
        for rule_id, level in record.rules:
            assert rule_id in RULES_BY_ID
            assert level in ("MUST", "SHOULD")
    assert "verdict: CONFORMANT" in run.stdout.strip().splitlines()[-4]


def test_broken_target_exits_1_naming_the_rule(failing_run: tuple[SuiteRun, list[str]]) -> None:
    """A server that answers 500 fails ROB-01, and the last lines say so."""
    run, _ = failing_run
    assert run.exit_code == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "ROB-01" in run.failed_rules()
    verdict_line = next(
        line for line in reversed(run.stdout.splitlines()) if line.startswith("verdict:")
    )
    assert verdict_line.startswith("verdict: NOT CONFORMANT") and "ROB-01" in verdict_line


@pytest.mark.parametrize("secret", [CANARY, SECONDARY_CANARY])
def test_keys_never_appear_in_any_output(
    failing_run: tuple[SuiteRun, list[str]], secret: str
) -> None:
    """Neither key shows in stdout, stderr, JUnit, certificate or any file the run wrote: raw, URL-encoded or base64."""
    run, _ = failing_run
    written = _everything_written(run)
    assert "Reproduce with" in written or "curl" in written, (
        "the failing run should print reproductions"
    )
    raw = secret.encode()
    for form in (
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ):
        assert form not in written, f"a key leaked as {form!r}"


def test_nothing_the_run_created_remains(
    passing_run: tuple[SuiteRun, list[str]], failing_run: tuple[SuiteRun, list[str]]
) -> None:
    """After a passing run and after a failing one, no audience with a run prefix is left."""
    assert passing_run[1] == []
    assert failing_run[1] == []


def test_read_only_run_sends_nothing_but_get() -> None:
    """With --read-only, the server sees only GET requests, and the run still gives a verdict."""
    seen: list[str] = []
    recording = Server(
        "recording",
        "records methods",
        lambda store, keys: _RecordsMethods(create_app(store, keys), seen),
    )
    with serve(recording) as served:
        run = run_suite(served, extra=("--read-only",))
    assert run.exit_code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert seen and set(seen) == {"GET"}
    skipped = [record for record in run.records if record.outcome == "skipped"]
    # Tests that write are skipped for that reason; a few read tests may skip because the
    # fresh account holds nothing to page through (said so in their reasons).
    assert any("read-only" in record.detail for record in skipped)
    assert all(record.detail for record in skipped)
    assert not [record for record in run.records if record.outcome == "failed"]


def test_a_spent_time_budget_is_an_incomplete_run_not_a_failed_rule() -> None:
    """Tests stopped by --max-duration say nothing about the target: exit 4 and no verdict."""
    with serve(Server("reference", "the reference", _reference)) as served:
        run = run_suite(served, extra=("--max-duration", "2"))
    assert run.exit_code == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "no verdict: the run's time budget (--max-duration) ran out" in run.stderr
    assert "verdict: NOT CONFORMANT" not in run.stdout.splitlines()[-3:]
