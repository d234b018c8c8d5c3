"""Workers started warm: one process imports what every worker needs, then forks each worker.

A worker started cold spends about a second of CPU importing pytest, Hypothesis, schemathesis,
requests, pytest's plugins and the suite's own modules before it collects a test; seven of them
on two cores hold up the start of a run across a network by seconds. The controller starts this
process (``python -m conformance.plugin.warm_starter SOCKET``) before its preflight, so the
imports overlap it, and xdist starts each worker through :mod:`conformance.plugin.warm_client`,
which hands its standard streams here. Each worker is a fork of this process: it takes the
client's streams, folder and environment, and runs xdist's bootstrap as ``python -u -c CODE``
would, with the modules already imported and their objects frozen out of the garbage
collector's sight (:func:`preload`). Nothing of the run is imported here: the suite's test
modules read the run's settings when they load, and a module that keeps state of its own keeps
none a fork would share (a jitter draws from the system, not from an inherited generator).

The starter takes no signal of the terminal's (a worker does, in the same process group), and
ends when the controller closes its standard input, or dies.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import importlib
import importlib.metadata
import io
import json
import os
import pkgutil
import selectors
import shlex
import signal
import socket
import struct
import subprocess
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = (
    "pytest",
    "execnet",
    "xdist.remote",
    "hypothesis",
    "hypothesis.strategies",
    "requests",
    "schemathesis",
    "schemathesis.specs.openapi.schemas",
)
PLUGINS = "pytest11"  # the entry points of the plugins pytest loads in every worker
OWN_PACKAGE = "conformance"
# Left to the worker: the suite (its test modules read the run when they load), and what only
# the controller runs (the command line, the reference server).
NOT_PRELOADED = (
    "conformance.suite",
    "conformance.cli",
    "conformance.reference",
    "conformance.__main__",
)
SOCKET_NAME = "warm.sock"
READY_SECONDS = 10.0  # how long the controller waits for the starter to listen, else starts cold
STOPS = ("SIGINT", "SIGTERM", "SIGHUP")
REQUEST_SECONDS = 5.0  # a client that says nothing for that long is dropped (it starts cold)


@dataclass
class WarmStarter:
    """The controller's handle on the starter: the xdist spec that starts a worker through it."""

    process: subprocess.Popen[bytes]
    socket_path: Path

    def spec(self) -> str:
        """``popen`` with the client as its Python (a worker started cold if the starter fails)."""
        client = Path(__file__).with_name("warm_client.py")
        python = shlex.join(
            [sys.executable, "-S", str(client), str(self.socket_path), sys.executable]
        )
        return f"popen//python={python}"

    def ready(self, timeout: float = READY_SECONDS) -> bool:
        """Whether the starter listens (its imports may still be under way: workers then wait)."""
        deadline = time.monotonic() + timeout
        while not self.socket_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(folder: Path) -> WarmStarter:
    """Start the starter; it listens at once and imports meanwhile (workers that ask early wait)."""
    path = folder / SOCKET_NAME
    process = subprocess.Popen(
        [sys.executable, "-m", __name__, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    return WarmStarter(process, path)


def serve(path: str) -> None:
    """Fork a worker for each client until standard input closes; tell each its end."""
    for name in STOPS:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".binding")
    listener.listen(64)
    os.rename(path + ".binding", path)  # the path appears once clients can connect
    preload()
    ended_reader, ended_writer = socket.socketpair()
    ended_reader.setblocking(False)
    ended_writer.setblocking(False)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)
    signal.set_wakeup_fd(ended_writer.fileno())
    watched = selectors.DefaultSelector()
    watched.register(listener, selectors.EVENT_READ, "client")
    watched.register(sys.stdin.fileno(), selectors.EVENT_READ, "controller")
    watched.register(ended_reader, selectors.EVENT_READ, "ended")
    clients: dict[int, socket.socket] = {}
    while True:
        for key, _ in watched.select():
            if key.data == "controller" and not os.read(sys.stdin.fileno(), 4096):
                return
            if key.data == "ended":
                _drain(ended_reader)
                _tell_ended(clients)
            if key.data == "client":
                client, _ = listener.accept()
                client.settimeout(REQUEST_SECONDS)
                request, fds = _request(client)
                if request is None:
                    client.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    for closing in (
                        listener,
                        client,
                        ended_reader,
                        ended_writer,
                        *clients.values(),
                    ):
                        closing.close()
                    watched.close()
                    become_worker(request, fds)  # never returns: the worker's exit ends it
                for fd in fds:
                    os.close(fd)
                clients[pid] = client
                client.sendall(f"pid {pid}\n".encode())


def preload() -> None:
    """Import what every worker imports before its first test, then freeze it: the forks share
    those objects, and no worker's collection of garbage walks them again."""
    for name in (*LIBRARIES, *_plugin_modules(), *_own_modules(OWN_PACKAGE)):
        with contextlib.suppress(Exception):  # the worker imports it again, and reports what fails
            importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _plugin_modules() -> list[str]:
    """The modules of the installed pytest plugins, unless pytest is told not to load them."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return []
    return [entry.module for entry in importlib.metadata.entry_points(group=PLUGINS)]


def _own_modules(package: str) -> list[str]:
    """Every module of ``package`` and its subpackages, but those :data:`NOT_PRELOADED`."""
    try:
        path = importlib.import_module(package).__path__
    except Exception:  # noqa: BLE001 (as in preload)
        return []
    names: list[str] = []
    for found in pkgutil.iter_modules(path, package + "."):
        if found.name.startswith(NOT_PRELOADED):
            continue
        names.extend(_own_modules(found.name) if found.ispkg else [found.name])
    return names


def _drain(reader: socket.socket) -> None:
    try:
        while reader.recv(4096):
            pass
    except BlockingIOError:
        pass


def _tell_ended(clients: dict[int, socket.socket]) -> None:
    while clients:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        client = clients.pop(pid, None)
        if client is not None:
            try:
                client.sendall(f"exit {status}\n".encode())
            except OSError:
                pass
            client.close()


def _request(client: socket.socket) -> tuple[dict[str, object] | None, list[int]]:
    """The client's request (args, cwd, env) and its three standard streams."""
    try:
        data, fds, _, _ = socket.recv_fds(client, 1 << 20, 3)
        while len(data) >= 4 and len(data) < 4 + struct.unpack("!I", data[:4])[0]:
            more = client.recv(1 << 20)
            if not more:
                break
            data += more
        request = json.loads(data[4:])
    except (OSError, ValueError, struct.error):
        return None, []
    if len(fds) != 3 or not isinstance(request, dict):
        for fd in fds:
            os.close(fd)
        return None, []
    return request, fds


def become_worker(request: dict[str, object], fds: list[int]) -> None:
    """Turn this fresh fork into ``python [-u] [-B] -c CODE`` run by the client, then end as it ends."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    environment = request["env"]
    assert isinstance(environment, dict)
    os.environ.clear()
    os.environ.update({str(name): str(value) for name, value in environment.items()})
    args = [str(arg) for arg in request["args"]]  # type: ignore[attr-defined]
    code = args[args.index("-c") + 1]
    sys.dont_write_bytecode = "-B" in args[: args.index("-c")]
    sys.argv = ["-c", *args[args.index("-c") + 2 :]]
    sys.path[0] = ""
    encoding = sys.stdout.encoding
    streams = {
        "stdin": io.TextIOWrapper(
            io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding=encoding
        ),
        "stdout": _unbuffered(1, encoding, "strict"),
        "stderr": _unbuffered(2, encoding, "backslashreplace"),
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    exec(compile(code, "<string>", "exec"), main.__dict__)  # noqa: S102 (xdist's bootstrap)
    sys.exit(0)


def _unbuffered(fd: int, encoding: str, errors: str) -> io.TextIOWrapper:
    """A standard stream as ``-u`` makes it: every write goes straight to the descriptor."""
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True)


if __name__ == "__main__":
    serve(sys.argv[1])
