"""What every benchmark shares: where the project is, child processes, medians, a request counter."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SPEC = ROOT / "openapi" / "audiences.yaml"
PYTHON = sys.executable


def project_on_path() -> None:
    """The mutant catalogue lives in ``tests/`` (imported as ``mutation``); the suite is the installed one."""
    folder = str(ROOT / "tests")
    if folder not in sys.path:
        sys.path.insert(0, folder)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class CountingApp:
    """An ASGI wrapper that counts the HTTP requests reaching the app it wraps."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


@dataclass
class ChildServer:
    """A server in a process of its own (``bench/serve_child.py``), for as long as a ``with`` block."""

    base_url: str
    process: subprocess.Popen[str]

    def requests_served(self) -> int:
        """Asks the child how many requests its app has answered so far."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())


@contextmanager
def child_server(spec: Mapping[str, Any]) -> Iterator[ChildServer]:
    """Start ``serve_child.py`` with ``spec`` (keys included) on its stdin, never on its command line."""
    process = subprocess.Popen(
        [PYTHON, str(BENCH / "serve_child.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps(dict(spec)) + "\n")
        process.stdin.flush()
        line = process.stdout.readline().strip()  # '' when the child died before listening
        if not line.startswith("http"):
            raise RuntimeError(f"The benchmark server did not start (it said {line!r}).")
        yield ChildServer(line, process)
    finally:
        if process.stdin and not process.stdin.closed:
            process.stdin.close()  # the child stops its server when its stdin ends
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def run_json_child(script: str, payload: Mapping[str, Any], *, timeout: float) -> dict[str, Any]:
    """Run ``bench/<script>`` with ``payload`` on stdin; it prints one JSON object as its last line."""
    done = subprocess.run(
        [PYTHON, str(BENCH / script)],
        input=json.dumps(dict(payload)),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def child_environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
