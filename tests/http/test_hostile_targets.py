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
from mutation.catalogue import Server
from mutation.harness import serve
from recording_server import RecordingServer, Reply
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.http.adapter import MAX_RESPONSE_BYTES
from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer
from conformance.verdict.junit_records import read_records
from conformance.verdict.per_rule import TestRecord

pytestmark = pytest.mark.slow

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
MAX_DURATION = (
    300.0  # generous: a loaded CI machine must not turn a bounded run into an incomplete one
)
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
        return {rule for record in self.records for rule in record.failed_rules}

    def explain(self) -> str:
        return f"exit {self.exit_code} after {self.seconds:.0f}s, peak {self.peak_mib:.0f} MiB, failed {sorted(self.failed_rules())}\n{self.stdout[-2500:]}\n{self.stderr[-1500:]}"


def run_against(
    base_url: str, *, rules: Sequence[str] = (), extra: Sequence[str] = (), secondary: bool = True
) -> HostileRun:
    """``audience-conformance run`` (quick profile, bounded) in a process whose peak memory is measured."""
    with tempfile.TemporaryDirectory(prefix="hostile-run-") as folder:
        junit = Path(folder) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            base_url,
            "--profile",
            "quick",
            "--seed",
            "1",
        ]
        command += ["--junit-xml", str(junit), "--max-duration", str(MAX_DURATION), *extra]
        for rule in rules:
            command += ["--rule", rule]
        env = {**os.environ, "AUDIENCE_API_KEY": KEY, "AUDIENCE_SECONDARY_API_KEY": SECONDARY_KEY}
        if not secondary:
            del env["AUDIENCE_SECONDARY_API_KEY"]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", MEASURE_PEAK, *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=MAX_DURATION + 2 * SLACK,
            cwd=folder,
            check=False,
        )
        seconds = time.monotonic() - started
        records = read_records(junit) if junit.exists() else []
    peak = next(
        (
            int(line.split()[1])
            for line in done.stderr.splitlines()
            if line.startswith("peak-rss-kib ")
        ),
        0,
    )
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
    verdict = next(
        line for line in reversed(run.stdout.splitlines()) if line.startswith("verdict:")
    )
    assert "NOT CONFORMANT" in verdict and "JSON-01" in verdict and "ROB-01" in verdict, (
        run.explain()
    )
    assert_bounded(run)


def test_bodies_that_are_not_json_fail_json_01(recording_server: StartServer) -> None:
    """Every answer says application/json but is cut short: the whole suite runs, exit 1, JSON-01 named."""
    broken = recording_server(
        lambda method, path: (
            200,
            {"Content-Type": "application/json"},
            b'{"data": [{"id": "a1", "name": ',
        )
    )
    run = run_against(broken.url)
    assert run.exit_code == 1, run.explain()
    assert "JSON-01" in run.failed_rules(), run.explain()
    assert "parses as JSON" in run.output, run.explain()
    assert_bounded(run)


# -- a body far over what any answer needs ---------------------------------------------------


async def stream_huge_body(send: Send) -> None:
    """50 MB of JSON-looking bytes, chunked, with no Content-Length to warn the client."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    chunk = b" " * (1024 * 1024)
    await send({"type": "http.response.body", "body": b'{"data": "', "more_body": True})
    for _ in range(HUGE_BODY // len(chunk)):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b'"}'})


def huge_audiences(store: Any, keys: Mapping[str, str]) -> ASGIApp:
    """The reference, except that getting one audience answers a 50 MB body."""
    app = create_app(store, keys)

    async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith("/v1/audiences/")
            and not scope["path"].endswith("/contacts")
        ):
            return await stream_huge_body(send)
        await app(scope, receive, send)

    return hostile


def test_a_50_mb_body_is_refused_in_bounded_time_and_memory() -> None:
    """Reading stops at 8 MiB: the answer decides nothing (no rule names a size), so CRUD-02 is not
    verified and the run gives no verdict, saying why; its peak memory stays near that of a run
    against the plain reference (reading the body whole would add 100 MiB or more)."""
    with serve(
        Server("reference", "the reference", create_app), keys=(KEY, SECONDARY_KEY)
    ) as served:
        plain = run_against(served.base_url, rules=("CRUD-02",))
    with serve(
        Server("huge-audiences", "50 MB answers to get", huge_audiences), keys=(KEY, SECONDARY_KEY)
    ) as served:
        run = run_against(served.base_url, rules=("CRUD-02",))
    assert plain.exit_code == 0, plain.explain()
    assert run.exit_code == 4, run.explain()
    assert (
        f"NOT VERIFIED CRUD-02: test_get_and_list_show_the_created_audience ended in an error that names no rule: The response body exceeds {MAX_RESPONSE_BYTES} bytes."
        in run.output
    ), run.explain()
    assert run.peak_mib < plain.peak_mib + 4 * MAX_RESPONSE_BYTES / 2**20, (
        f"peak {run.peak_mib:.0f} MiB, plain run {plain.peak_mib:.0f} MiB\n{run.explain()}"
    )
    assert_bounded(run)


def test_a_target_whose_every_answer_is_50_mb_is_unreachable() -> None:
    """Even the preflight's answer is over the limit: the target is not an API, exit 3, quickly."""

    async def everything_huge(scope: Scope, receive: Receive, send: Send) -> None:
        await stream_huge_body(send)

    with ReferenceServer(everything_huge) as server:
        run = run_against(server.base_url)
    assert run.exit_code == 3, run.explain()
    assert "The response body exceeds 8388608 bytes" in run.output, run.explain()
    assert run.seconds < 30, run.explain()


# -- pages without end -----------------------------------------------------------------------


async def read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def send_json(send: Send, status: int, document: object) -> None:
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


FAKE_IDS = itertools.count(1)


def fake_audience(name: object, channel: object) -> dict[str, object]:
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return {
        "id": f"endless{next(FAKE_IDS)}",
        "account_id": "account-a",
        "name": name,
        "channel": channel,
        "create_date": now,
        "update_date": now,
        "contacts_count": 0,
    }


async def endless_audiences(scope: Scope, receive: Receive, send: Send) -> None:
    """Creates what it is asked to, but its list never ends: every page is full of new items,
    claims a total of two pages, and links to a next page that was never seen before."""
    if scope["type"] != "http":
        return
    method, path = scope["method"], scope["path"]
    if method == "POST":
        try:
            data = json.loads(await read_body(receive))["data"]
            return await send_json(
                send, 201, {"data": fake_audience(data["name"], data["channel"])}
            )
        except (ValueError, KeyError, TypeError):
            return await send_json(
                send, 400, {"errors": [{"code": 1303, "message": "bad request"}]}
            )
    if method == "DELETE":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        return await send({"type": "http.response.body", "body": b""})
    if method != "GET" or path != "/v1/audiences":
        return await send_json(send, 404, {"errors": [{"code": 1301, "message": "not found"}]})
    query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    size = min(max(int(query["page_size"]), 1), 100) if query.get("page_size", "").isdigit() else 20
    number = int(query["page_token"]) if query.get("page_token", "").isdigit() else 1
    link = "/v1/audiences?" + urlencode(
        {
            "page_size": size,
            **({"filter[channel]": query["filter[channel]"]} if "filter[channel]" in query else {}),
        }
    )
    items = [
        fake_audience(f"endless-{number}-{index}", query.get("filter[channel]", "SMS").upper())
        for index in range(size)
    ]
    links = {
        "first": link,
        "current": f"{link}&page_token={number}",
        "previous": None if number == 1 else f"{link}&page_token={number - 1}",
        "next": f"{link}&page_token={number + 1}",
    }
    await send_json(
        send,
        200,
        {
            "data": items,
            "pagination": {"number": number, "size": size, "total": 2 * size, "links": links},
        },
    )


def test_next_links_that_never_end_are_not_followed_forever() -> None:
    """Full pages, each linking to a new next: the walks stop at their bound, exit 1 naming PAGE-04.
    (The server knows no accounts, so it is given one key: two would be two keys of one account.)"""
    with ReferenceServer(endless_audiences) as server:
        run = run_against(server.base_url, rules=("PAGE-04",), secondary=False)
    assert run.exit_code == 1, run.explain()
    assert "PAGE-04" in run.failed_rules(), run.explain()
    assert "still links to a next page" in run.output, run.explain()
    assert_bounded(run)


# -- links and redirects to another host -----------------------------------------------------

OK_JSON: Reply = (200, {"Content-Type": "application/json"}, b'{"data": [], "pagination": {}}')


def links_to(elsewhere: str) -> Callable[[Any, Mapping[str, str]], ASGIApp]:
    """The reference, but every pagination link points to ``elsewhere``'s scheme, host and port."""
    moved = urlsplit(elsewhere)

    def build(store: Any, keys: Mapping[str, str]) -> ASGIApp:
        app = create_app(store, keys)

        async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
            if (
                scope["type"] != "http"
                or scope["method"] != "GET"
                or scope["path"] != "/v1/audiences"
            ):
                return await app(scope, receive, send)
            status, body = 500, b""
            chunks: list[bytes] = []

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                else:
                    chunks.append(message.get("body", b""))

            await app(scope, receive, capture)
            body = b"".join(chunks)
            document = json.loads(body)
            if status == 200:
                links = document["pagination"]["links"]
                for name, link in links.items():
                    if link is not None:
                        links[name] = urlunsplit(
                            urlsplit(link)._replace(scheme=moved.scheme, netloc=moved.netloc)
                        )
            await send_json(send, status, document)

        return hostile

    return build


def redirects_to(elsewhere: str) -> Callable[[Any, Mapping[str, str]], ASGIApp]:
    """The reference, but getting one audience, or a page past the first, redirects to ``elsewhere``."""

    def build(store: Any, keys: Mapping[str, str]) -> ASGIApp:
        app = create_app(store, keys)

        async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
            query = scope.get("query_string", b"").decode("latin-1")
            one_audience = scope["type"] == "http" and scope["path"].startswith("/v1/audiences/")
            if (
                scope["type"] == "http"
                and scope["method"] == "GET"
                and (one_audience or "page_token=" in query)
            ):
                location = f"{elsewhere}{scope['path']}" + (f"?{query}" if query else "")
                await send(
                    {
                        "type": "http.response.start",
                        "status": 307,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")],
                    }
                )
                return await send({"type": "http.response.body", "body": b""})
            await app(scope, receive, send)

        return hostile

    return build


def test_links_to_another_host_are_never_followed(recording_server: StartServer) -> None:
    """Pagination links to another origin: nothing reaches it, not even a request without the key; PAGE-09 fails."""
    elsewhere = recording_server(lambda method, path: OK_JSON)
    with serve(
        Server("links-elsewhere", "links to another origin", links_to(elsewhere.url)),
        keys=(KEY, SECONDARY_KEY),
    ) as served:
        run = run_against(served.base_url, rules=("PAGE-09",))
    assert elsewhere.seen == [], f"requests reached the other host: {elsewhere.seen}"
    assert run.exit_code == 1, run.explain()
    assert "PAGE-09" in run.failed_rules(), run.explain()
    assert elsewhere.url.rsplit(":", 1)[1] in run.output, run.explain()
    assert_bounded(run)


def test_redirects_to_another_host_are_never_followed(recording_server: StartServer) -> None:
    """Redirects to another origin are answers, not instructions: nothing reaches it; the rules that needed a 200 fail."""
    elsewhere = recording_server(lambda method, path: OK_JSON)
    with serve(
        Server("redirects-elsewhere", "redirects to another origin", redirects_to(elsewhere.url)),
        keys=(KEY, SECONDARY_KEY),
    ) as served:
        run = run_against(served.base_url, rules=("PAGE-04", "CRUD-02"))
    assert elsewhere.seen == [], f"requests reached the other host: {elsewhere.seen}"
    assert run.exit_code == 1, run.explain()
    assert {"PAGE-04", "CRUD-02"} <= run.failed_rules(), run.explain()
    assert "HTTP 307" in run.output, run.explain()
    assert_bounded(run)
