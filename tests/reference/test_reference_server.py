"""Running the reference: the background-thread server and the blocking ``serve``."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer

SERVE_SCRIPT = "import sys; from conformance.reference.server import serve; serve(sys.argv[1], '127.0.0.1', 0, {sys.argv[2]: 'acct'})"


def test_server_needs_an_app_or_a_database_and_keys() -> None:
    """ReferenceServer refuses to guess what to serve."""
    with pytest.raises(ValueError):
        ReferenceServer()
    with pytest.raises(ValueError):
        ReferenceServer(db=":memory:")
    with pytest.raises(ValueError):
        ReferenceServer(PlainTextResponse("x"), db=":memory:", keys={})


def test_server_serves_a_given_app_and_frees_its_port() -> None:
    """A wrapped ASGI app is served as is; after the block the port no longer answers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("wrapped")(scope, receive, send)

    with ReferenceServer(app) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
        assert requests.get(server.base_url + "/anything", timeout=10).text == "wrapped"
        port = server.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_runs_until_interrupted_and_never_prints_the_key(tmp_path: Path) -> None:
    """serve() answers on its port, stops on Ctrl-C, and its output never contains the key."""
    key = generate_key()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT, str(tmp_path / "served.sqlite3"), key],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    try:
        for line in process.stdout:
            output.append(line)
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                base_url = found.group(1)
                break
        else:
            pytest.fail("serve() never said where it runs: " + "".join(output))
        assert (
            requests.post(
                base_url + "/v1/audiences",
                json={"data": {"name": "n", "channel": "SMS"}},
                headers={"X-Dexatel-Key": key},
                timeout=10,
            ).status_code
            == 201
        )
        assert (
            requests.get(
                base_url + "/v1/audiences", headers={"X-Dexatel-Key": "wrong"}, timeout=10
            ).status_code
            == 401
        )
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert key not in "".join(output) + rest
