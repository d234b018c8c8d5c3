"""The suite stays safe and bounded when the target misbehaves.

Each test points ``audience-conformance run`` at a hostile target on loopback: one that never
answers, answers HTML error pages or broken JSON, or sends a 50 MB body (pages without end and
links off the target: test_hostile_pages.py). Every run gets ``--max-duration`` and must end well
within it, with the exit code the situation calls for and a message naming the problem.
The run's peak memory is measured in a process of its own, so a body read whole would show.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hostile_runs import (
    HUGE_BODY,
    KEY,
    SECONDARY_KEY,
    StartServer,
    assert_bounded,
    run_against,
)
from mutation.catalogue import Server
from mutation.harness import serve
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.http.adapter import MAX_RESPONSE_BYTES
from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer

pytestmark = pytest.mark.slow


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
    against the plain reference (reading the body whole would add 100 MiB or more). Each request
    in flight may hold up to twice the limit (the chunks read, then joined): with two at once,
    four times the limit, and two more of margin."""
    in_flight = 2
    with serve(
        Server("reference", "the reference", create_app), keys=(KEY, SECONDARY_KEY)
    ) as served:
        plain = run_against(
            served.base_url, rules=("CRUD-02",), extra=("--concurrency", str(in_flight))
        )
    with serve(
        Server("huge-audiences", "50 MB answers to get", huge_audiences), keys=(KEY, SECONDARY_KEY)
    ) as served:
        run = run_against(
            served.base_url, rules=("CRUD-02",), extra=("--concurrency", str(in_flight))
        )
    assert plain.exit_code == 0, plain.explain()
    assert run.exit_code == 4, run.explain()
    assert (
        f"NOT VERIFIED CRUD-02: test_get_and_list_show_the_created_audience ended in an error that names no rule: The response body exceeds {MAX_RESPONSE_BYTES} bytes."
        in run.output
    ), run.explain()
    assert run.peak_mib < plain.peak_mib + (2 * in_flight + 2) * MAX_RESPONSE_BYTES / 2**20, (
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
