"""Shared fixtures of the project's own tests: small scripted HTTP servers on loopback."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from recording_server import RecordingServer, Reply


@pytest.fixture
def recording_server() -> Iterator[Callable[[Callable[[str, str], Reply]], RecordingServer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(reply: Callable[[str, str], Reply]) -> RecordingServer:
        record = RecordingServer(reply)

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                record.seen.append((self.command, self.path, dict(self.headers)))
                status, headers, body = record.reply(self.command, self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        record.url = f"http://127.0.0.1:{server.server_address[1]}"
        return record

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
