"""Reference throughput against the ceiling of its own stack, with ``wrk`` on loopback.

Each server runs in a process of its own (``serve_child.py``: one uvicorn server, the reference
settings); ``wrk`` is a second process. The ceiling is a bare Starlette endpoint answering a
fixed JSON body on the very same ``ReferenceServer`` settings; beside it, the same bare endpoint
answering a page as large as the reference's (what sending the page alone costs). Measured:
the list operation at page sizes 20 and 100 over an account of 1,000 audiences, and create
with unique names.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import BENCH, child_environment, child_server
from walk_scale import ACCOUNT, fill

from conformance.reference.keys import generate_key

INSTALL_WRK = "wrk is not installed; on Debian or Ubuntu: sudo apt-get install -y wrk"
AUDIENCES = 1000
CONNECTIONS = 8


class WrkMissing(Exception):
    """Raised when ``wrk`` is not on PATH."""


@dataclass(frozen=True)
class Rate:
    name: str
    requests_per_second: float
    errors: int  # non-2xx answers and socket errors


@dataclass(frozen=True)
class ThroughputResult:
    reference: list[Rate]
    bare: list[Rate]  # the ceiling: a small fixed body
    bare_same_body: list[Rate]  # the bare stack answering a page as large as the reference's


def wrk(url: str, script: str, seconds: int, key: str) -> Rate:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(BENCH / script), url]
    env = child_environment(AUDIENCE_API_KEY=key, BENCH_RUN=secrets.token_hex(3))
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip()}")
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done.stdout
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(count) for count in socket_errors.groups()) if socket_errors else 0
    return Rate(url, float(rate.group(1)) if rate else 0.0, errors)


def measure(seconds: int) -> ThroughputResult:
    if shutil.which("wrk") is None:
        raise WrkMissing(INSTALL_WRK)
    key = generate_key()
    cases = [
        ("list, page_size=20", "/v1/audiences?page_size=20", "wrk_key.lua", 20),
        ("list, page_size=100", "/v1/audiences?page_size=100", "wrk_key.lua", 100),
        ("create", "/v1/audiences", "wrk_create.lua", 1),
    ]
    reference, bare, same = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as folder:
        db = Path(folder) / "audiences.sqlite3"
        fill(db, AUDIENCES)
        for name, path, script, items in cases:
            # A fresh server for each case, so creates from one case do not grow the next one's pages.
            with child_server(
                {"app": "reference", "db": str(db), "keys": {key: ACCOUNT}}
            ) as server:
                wrk(server.base_url + path, script, 1, key)  # warm-up
                rate = wrk(server.base_url + path, script, seconds, key)
                reference.append(Rate(name, rate.requests_per_second, rate.errors))
            for body_items, rates in ((1, bare), (items, same)):
                with child_server({"app": "bare", "items": body_items}) as server:
                    wrk(server.base_url + path, script, 1, key)
                    rate = wrk(server.base_url + path, script, seconds, key)
                    rates.append(Rate(name, rate.requests_per_second, rate.errors))
            print(
                f"  {name}: reference {reference[-1].requests_per_second:.0f}/s, bare stack {bare[-1].requests_per_second:.0f}/s ({same[-1].requests_per_second:.0f}/s with a body of {items})",
                flush=True,
            )
    return ThroughputResult(reference, bare, same)
