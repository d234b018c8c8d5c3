"""A staging on loopback: the reference over HTTPS from a test CA (mutual TLS too), a forward
proxy, and an ASGI wrapper that records what reached the server and when."""

from __future__ import annotations

import os
import select
import socket
import socketserver
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import trustme
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer, ServerTLS
from conformance.reference.store import Store


@dataclass(frozen=True)
class TestCA:
    """PEM files of a test CA, a server certificate for 127.0.0.1, and a client certificate."""

    __test__ = False

    ca_bundle: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str


def make_ca(folder: Path) -> TestCA:
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("conformance-client@example.com")
    paths = {
        name: str(folder / f"{name}.pem")
        for name in ("ca", "server-cert", "server-key", "client-cert", "client-key")
    }
    ca.cert_pem.write_to_path(paths["ca"])
    server.cert_chain_pems[0].write_to_path(paths["server-cert"])
    for blob in server.cert_chain_pems[1:]:
        blob.write_to_path(paths["server-cert"], append=True)
    server.private_key_pem.write_to_path(paths["server-key"])
    client.cert_chain_pems[0].write_to_path(paths["client-cert"])
    client.private_key_pem.write_to_path(paths["client-key"])
    return TestCA(
        paths["ca"],
        paths["server-cert"],
        paths["server-key"],
        paths["client-cert"],
        paths["client-key"],
    )


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the request reached the server
    method: str
    path: str
    headers: dict[str, str]


class RecordsArrivals:
    """Wraps an app and records every request that reaches it: when, what, with which headers."""

    def __init__(self, app: ASGIApp, seen: list[Arrival]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in scope["headers"]
            }
            self.seen.append(Arrival(time.monotonic(), scope["method"], scope["path"], headers))
        await self.app(scope, receive, send)


@dataclass
class HttpsStaging:
    base_url: str
    api_key: str
    secondary_api_key: str
    ca: TestCA
    seen: list[Arrival] = field(default_factory=list)


@contextmanager
def https_reference(
    *, mutual: bool = False, keys: tuple[str, str] | None = None, wrap: Any = None
) -> Iterator[HttpsStaging]:
    """The reference over HTTPS on a free loopback port, signed by a fresh test CA; with
    ``mutual`` only a client certificate of that CA gets in. ``wrap(app)`` may put a faulty or
    throttling layer in front."""
    with tempfile.TemporaryDirectory(prefix="https-reference-") as folder:
        ca = make_ca(Path(folder))
        key, secondary = keys or (generate_key(), generate_key())
        store = Store(str(Path(folder) / "audiences.sqlite3"))
        seen: list[Arrival] = []
        app: ASGIApp = create_app(store, {key: "account-a", secondary: "account-b"})
        if wrap is not None:
            app = wrap(app)
        tls = ServerTLS(ca.server_cert, ca.server_key, client_ca=ca.ca_bundle if mutual else None)
        try:
            with ReferenceServer(RecordsArrivals(app, seen), tls=tls) as server:
                yield HttpsStaging(server.base_url, key, secondary, ca, seen)
        finally:
            store.close()


def most_in_any_second(times: list[float]) -> int:
    """The largest number of arrivals within any window of one second [t, t + 1)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


class ForwardProxy:
    """A forward proxy on loopback that tunnels https (CONNECT), as a corporate proxy does, and
    records each request line it was sent, the headers, and every byte it relayed to the target.
    Anything but CONNECT gets 405: a request in clear would show the proxy the key."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.relayed = bytearray()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for open_socket in self._open:  # tunnels a client kept alive end with the proxy
                open_socket.close()

    def _handle(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        line, *header_lines = head.decode("latin-1").split("\r\n")
        with self._lock:
            self.request_lines.append(line)
            self.headers.append(dict(part.split(":", 1) for part in header_lines if ":" in part))
        method, target, _ = line.split(" ", 2)
        host, _, port = target.rpartition(":")
        if method != "CONNECT" or host != "127.0.0.1":
            client.sendall(
                b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            with self._lock:
                self._open |= {client, upstream}
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                self._relay(rest, upstream)
            try:
                self._pump(client, upstream)
            except OSError:
                return  # closed by __exit__

    def _relay(self, data: bytes, upstream: socket.socket) -> None:
        with self._lock:
            self.relayed += data
        upstream.sendall(data)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        sockets = [client, upstream]
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                return
            for ready in readable:
                data = ready.recv(65536)
                if not data:
                    return
                if ready is client:
                    self._relay(data, upstream)
                else:
                    client.sendall(data)


def environment_with(values: Mapping[str, str]) -> dict[str, str]:
    """This process' environment without any proxy or CA variable of the machine, plus ``values``."""
    cleared = {
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "CURL_CA_BUNDLE",
    }
    base = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in cleared and not name.startswith("AUDIENCE_")
    }
    return {**base, **values}
