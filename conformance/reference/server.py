"""Running the reference server: in a background thread for tests and the suite, or blocking for ``serve``."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.store import Store

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerTLS:
    """HTTPS for the served reference, as a staging behind an internal CA serves it."""

    certfile: str  # PEM: the server's certificate chain
    keyfile: str
    client_ca: str | None = (
        None  # mutual TLS: only clients with a certificate this CA signed get in
    )


class ReferenceServer:
    """A server on a free loopback port for the length of a ``with`` block; ``base_url`` says where.

    Give either an ASGI app (e.g. a wrapped reference) or ``db`` and ``keys`` to build the
    reference on a store that the server opens and closes itself.
    """

    def __init__(
        self,
        app: ASGIApp | None = None,
        *,
        db: str | None = None,
        keys: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ServerTLS | None = None,
    ) -> None:
        if (app is None) == (db is None or keys is None):
            raise ValueError("ReferenceServer needs either an app, or both db and keys.")
        self._app = app
        self._db = db
        self._keys = dict(keys or {})
        self.host = host
        self._requested_port = port
        self.port = port  # the bound port once started
        self.tls = tls
        self._store: Store | None = None
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def __enter__(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def _start(self) -> None:
        app = self._app
        if app is None:
            assert self._db is not None
            self._store = Store(self._db)
            app = create_app(self._store, self._keys)
        self._socket = listening_socket(self.host, self._requested_port)
        self.port = self._socket.getsockname()[1]
        # log_config=None: leave the host process's logging alone; keys are never logged anyway.
        tls = self.tls
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=5,
            ssl_certfile=tls.certfile if tls else None,
            ssl_keyfile=tls.keyfile if tls else None,
            ssl_ca_certs=tls.client_ca if tls else None,
            ssl_cert_reqs=ssl.CERT_REQUIRED if tls and tls.client_ca else ssl.CERT_NONE,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="reference-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The reference server did not start on {self.base_url}.")
            time.sleep(0.01)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        if self._store is not None:
            self._store.close()
        self._server = self._thread = self._socket = self._store = None


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port), for uvicorn to listen on.

    Binding here, not in uvicorn, tells the port before the server starts. The explicit
    IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections (it checks the protocol)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bound = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind((host, port))
    except OSError:
        bound.close()
        raise
    return bound


def url_of(bound: socket.socket) -> str:
    """The base URL a client on this machine reaches a bound socket at (a wildcard address
    is reached through loopback)."""
    host, port = bound.getsockname()[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class _Announcing(uvicorn.Server):
    """uvicorn's server, saying it runs only once Ctrl-C stops it: a SIGINT sent as soon as the
    URL is printed is handled (sent before uvicorn caught the signal, it could be lost, and the
    server went on serving)."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self._announce()


def serve(
    db: str,
    host: str,
    port: int,
    keys: Mapping[str, str],
    latency: float = 0.0,
    *,
    bound: socket.socket | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the reference on ``host:port`` (or on the ``bound`` socket) over the SQLite file
    ``db`` until Ctrl-C, which is a normal stop; ``latency`` seconds are added to every answer.
    ``on_ready`` gets the base URL once the port is known, before the first request."""
    from conformance.reference.latency import Latency

    bound = bound or listening_socket(host, port)
    store = Store(db)
    try:
        config = uvicorn.Config(
            Latency(create_app(store, keys), latency), lifespan="off", log_level="info"
        )
        # Listening before the URL is printed: a client that starts at once waits in the backlog
        # until uvicorn accepts, instead of finding the port closed.
        bound.listen(config.backlog)
        base_url = url_of(bound)

        def announce() -> None:
            print(
                f"The reference Audience API is running on {base_url} (Ctrl-C stops it).",
                flush=True,
            )
            if on_ready is not None:
                on_ready(base_url)

        # uvicorn shuts down gracefully on SIGINT, then raises it again for the caller.
        _Announcing(config, announce).run(sockets=[bound])
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
        bound.close()
