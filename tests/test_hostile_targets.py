"""The suite stays safe and bounded when the target misbehaves.

Each test points ``audience-conformance run`` at a hostile target on loopback: one that never
answers, answers HTML error pages or broken JSON, sends a 50 MB body, paginates forever, or
links and redirects to another host. Every run gets ``--max-duration`` and must end well
within it, with the exit code the situation calls for and a message naming the problem.
The run's peak memory is measured in a process of its own, so a body read whole would show.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.junit import read_records
from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer
from conformance.target import MAX_RESPONSE_BYTES
from conformance.verdict import TestRecord

from conftest import RecordingServer, Reply
from mutation.catalogue import Server
from mutation.harness import Served, serve

pytestmark = pytest.mark.slow

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
MAX_DURATION = 120.0
SLACK = 60.0  # interpreter start, collection, cleanup and the certificate, beyond the run's budget
KEY, SECONDARY_KEY = "hostile-key-primary-0001", "hostile-key-secondary-0002"
HUGE_BODY = 50 * 1024 * 1024
MEASURE_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print(f'peak-rss-kib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class HostileRun:
    exit_code: int
    stdout: str
    stderr: str
    records: list[TestRecord]
    seconds: float
    peak_mib: float

    @property
    def output(self) -> str:
        """Everything a user would read: the console and each failing test's details."""
        details = "\n".join(record.detail for record in self.records if record.outcome == "failed")
        return f"{self.stdout}\n{self.stderr}\n{details}"

    def failed_rules(self) -> set[str]:
        return {rule for record in self.records if record.outcome == "failed" for rule in (record.failed_rules or [rule for rule, _ in record.rules])}

    def explain(self) -> str:
        return f"exit {self.exit_code} after {self.seconds:.0f}s, peak {self.peak_mib:.0f} MiB, failed {sorted(self.failed_rules())}\n{self.stdout[-2500:]}\n{self.stderr[-1500:]}"


def run_against(base_url: str, *, rules: Sequence[str] = (), extra: Sequence[str] = ()) -> HostileRun:
    """``audience-conformance run`` (quick profile, bounded) in a process whose peak memory is measured."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-run-"))
    junit = folder / "junit.xml"
    command = [sys.executable, "-m", "conformance", "run", "--base-url", base_url, "--profile", "quick", "--seed", "1"]
    command += ["--junit-xml", str(junit), "--max-duration", str(MAX_DURATION), *extra]
    for rule in rules:
        command += ["--rule", rule]
    env = {**os.environ, "AUDIENCE_API_KEY": KEY, "AUDIENCE_SECONDARY_API_KEY": SECONDARY_KEY}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", MEASURE_PEAK, *command], env=env, capture_output=True, text=True, timeout=MAX_DURATION + 2 * SLACK, cwd=folder)
    seconds = time.monotonic() - started
    peak = next((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak-rss-kib ")), 0)
    records = read_records(junit) if junit.exists() else []
    return HostileRun(done.returncode, done.stdout, done.stderr, records, seconds, peak / 1024)


def assert_bounded(run: HostileRun) -> None:
    assert run.seconds < MAX_DURATION + SLACK, run.explain()


# -- targets that are not an API at all ------------------------------------------------------


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A port that accepts connections and never answers a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


def test_a_target_that_never_answers_is_unreachable(silent_listener: str) -> None:
    """Connections are accepted, no answer comes: the preflight gives up after --timeout, exit 3."""
    run = run_against(silent_listener, extra=("--timeout", "1"))
    assert run.exit_code == 3, run.explain()
    assert "did not answer within 1 s" in run.output, run.explain()
    assert run.seconds < 30, run.explain()


HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"


def test_html_error_pages_fail_json_and_robustness(recording_server: StartServer) -> None:
    """A proxy answering HTML 502 pages to everything: the whole suite runs, exit 1, JSON-01 and ROB-01 named."""
    proxy = recording_server(lambda method, path: (502, {"Content-Type": "text/html"}, HTML_502))
    run = run_against(proxy.url)
    assert run.exit_code == 1, run.explain()
    assert {"JSON-01", "ROB-01"} <= run.failed_rules(), run.explain()
    verdict = next(line for line in reversed(run.stdout.splitlines()) if line.startswith("verdict:"))
    assert "NOT CONFORMANT" in verdict and "JSON-01" in verdict and "ROB-01" in verdict, run.explain()
    assert_bounded(run)


def test_bodies_that_are_not_json_fail_json_01(recording_server: StartServer) -> None:
    """Every answer says application/json but is cut short: the whole suite runs, exit 1, JSON-01 named."""
    broken = recording_server(lambda method, path: (200, {"Content-Type": "application/json"}, b'{"data": [{"id": "a1", "name": '))
    run = run_against(broken.url)
    assert run.exit_code == 1, run.explain()
    assert "JSON-01" in run.failed_rules(), run.explain()
    assert "parses as JSON" in run.output, run.explain()
    assert_bounded(run)


# -- a body far over what any answer needs ---------------------------------------------------


async def stream_huge_body(send: Send) -> None:
    """50 MB of JSON-looking bytes, chunked, with no Content-Length to warn the client."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    chunk = b" " * (1024 * 1024)
    await send({"type": "http.response.body", "body": b"{\"data\": \"", "more_body": True})
    for _ in range(HUGE_BODY // len(chunk)):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"\"}"})


def huge_audiences(store: Any, keys: Mapping[str, str]) -> ASGIApp:
    """The reference, except that getting one audience answers a 50 MB body."""
    app = create_app(store, keys)

    async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith("/v1/audiences/") and not scope["path"].endswith("/contacts"):
            return await stream_huge_body(send)
        await app(scope, receive, send)

    return hostile


def test_a_50_mb_body_is_refused_in_bounded_time_and_memory() -> None:
    """Reading stops at 8 MiB: the run fails CRUD-02 quickly, and its memory never holds the body."""
    with serve(Server("huge-audiences", "50 MB answers to get", huge_audiences), keys=(KEY, SECONDARY_KEY)) as served:
        run = run_against(served.base_url, rules=("CRUD-02",))
    assert run.exit_code == 1, run.explain()
    assert "CRUD-02" in run.failed_rules(), run.explain()
    assert f"exceeds {MAX_RESPONSE_BYTES} bytes" in run.output, run.explain()
    assert run.peak_mib * 1024 * 1024 < PEAK_WITHOUT_HUGE_BODIES + 4 * MAX_RESPONSE_BYTES, run.explain()
    assert_bounded(run)


PEAK_WITHOUT_HUGE_BODIES = 0  # replaced below


def test_a_target_whose_every_answer_is_50_mb_is_unreachable() -> None:
    """Even the preflight's answer is over the limit: the target is not an API, exit 3, quickly."""

    async def everything_huge(scope: Scope, receive: Receive, send: Send) -> None:
        await stream_huge_body(send)

    with ReferenceServer(everything_huge) as server:
        run = run_against(server.base_url)
    assert run.exit_code == 3, run.explain()
    assert "ResponseTooLarge" in run.output, run.explain()
    assert run.seconds < 30, run.explain()
