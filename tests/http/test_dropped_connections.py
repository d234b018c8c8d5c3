"""ROB-01 for a server that does not answer: the request path charges a dropped connection to
ROB-01, and only a dropped one (a refused connection or a timeout is not the server dropping
a request it received)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest
import requests

from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.dropped import ConnectionDropped
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
Behaviour = Callable[[socket.socket, int], None]  # (accepted connection, its number from 0)


def _read_request(connection: socket.socket) -> None:
    """Read up to the end of the request head (the suite's GETs carry no body)."""
    seen = b""
    while b"\r\n\r\n" not in seen:
        chunk = connection.recv(65536)
        if not chunk:
            return
        seen += chunk


def _close(connection: socket.socket, _: int) -> None:
    _read_request(connection)
    connection.close()


def _reset(connection: socket.socket, _: int) -> None:
    _read_request(connection)
    connection.setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
    )  # close with RST
    connection.close()


def _cut_off(connection: socket.socket, _: int) -> None:
    _read_request(connection)
    connection.sendall(
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data": ['
    )
    connection.close()


def _close_first_then_answer(connection: socket.socket, number: int) -> None:
    _read_request(connection)
    if number > 0:
        connection.sendall(OK)
    connection.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Behaviour], tuple[str, list[int]]]]:
    """A loopback TCP server whose every connection is handled by a behaviour; it returns the
    URL and the list of accepted connection numbers."""
    listeners: list[tuple[socket.socket, threading.Thread]] = []

    def start(behaviour: Behaviour) -> tuple[str, list[int]]:
        listener = socket.create_server(("127.0.0.1", 0))
        accepted: list[int] = []

        def accept() -> None:
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                accepted.append(len(accepted))
                with connection:
                    behaviour(connection, accepted[-1])

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        listeners.append((listener, thread))
        return f"http://127.0.0.1:{listener.getsockname()[1]}", accepted

    yield start
    for listener, thread in listeners:
        listener.shutdown(
            socket.SHUT_RDWR
        )  # wakes the blocked accept(), which close() alone does not
        listener.close()
        thread.join(5)


def _target(url: str, timeout: float = 5.0) -> Target:
    return Target(url, "k-primary-key", RequestPolicy(origin=Origin.of(url), timeout=timeout))


@pytest.mark.parametrize(
    "behaviour", [_close, _reset, _cut_off], ids=["closed", "reset", "cut-off"]
)
def test_a_dropped_connection_fails_rob_01(
    raw_server: Callable[[Behaviour], tuple[str, list[int]]], behaviour: Behaviour
) -> None:
    """Closed without an answer, reset, or an answer cut off: a violation of ROB-01 that says
    what was asked and what came back, after one more try on a fresh connection."""
    url, accepted = raw_server(behaviour)
    with pytest.raises(ConnectionDropped) as raised:
        _target(url).get("/v1/audiences")
    violation = raised.value
    assert isinstance(violation, RuleViolation) and violation.rule == "ROB-01"
    assert "GET /v1/audiences" in violation.expected and violation.received.startswith(
        "no answer: "
    )
    assert str(violation).startswith("[ROB-01]")
    assert len(accepted) == 2  # tried twice: once may be a keep-alive connection closing


def test_a_dropped_connection_is_still_a_connection_error(
    raw_server: Callable[[Behaviour], tuple[str, list[int]]],
) -> None:
    """The preflight and cleanup handle lost connections as requests' ConnectionError; they still do."""
    url, _ = raw_server(_close)
    with pytest.raises(requests.ConnectionError):
        _target(url).delete("/v1/audiences/abc")


def test_one_drop_then_an_answer_is_no_violation(
    raw_server: Callable[[Behaviour], tuple[str, list[int]]],
) -> None:
    """A connection closed once (a keep-alive connection closing as the request left) is tried again."""
    url, accepted = raw_server(_close_first_then_answer)
    assert _target(url).get("/v1/audiences").status_code == 200
    assert len(accepted) == 2


def test_a_refused_connection_is_not_charged_to_rob_01() -> None:
    """Nobody listening is an unreachable target, not a server dropping a request."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(requests.ConnectionError) as raised:
        _target(url).get("/v1/audiences")
    assert not isinstance(raised.value, RuleViolation)


def test_a_timeout_is_not_charged_to_rob_01(
    raw_server: Callable[[Behaviour], tuple[str, list[int]]],
) -> None:
    """A server still silent at the timeout may be working: the run's error, not ROB-01."""
    hold = threading.Event()

    def silent(connection: socket.socket, _: int) -> None:
        _read_request(connection)
        hold.wait(5)

    url, _ = raw_server(silent)
    try:
        with pytest.raises(requests.Timeout) as raised:
            _target(url, timeout=0.3).get("/v1/audiences")
        assert not isinstance(raised.value, RuleViolation)
    finally:
        hold.set()
