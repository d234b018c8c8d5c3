"""``--concurrency N``: one figure for the whole run, checked once, split among the workers, and
the size of each process' pool of connections."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest
from starlette.types import Receive, Scope, Send

from conformance.cli.main import main
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.connection_slots import DEFAULT_CONCURRENCY, ENV_CONCURRENCY
from conformance.http.target import Target
from conformance.reference.server import ReferenceServer
from conformance.run.options import PYTEST_FLAGS
from conformance.run.settings import build_settings

_NO_TARGET = {
    "base_url": None,
    "api_key": None,
    "secondary_api_key": None,
    "profile": None,
    "strict": False,
    "read_only": False,
    "seed": None,
    "rules": None,
    "timeout": None,
}


@pytest.mark.parametrize("given", ["0", "-3", "eight", "1.5"])
def test_a_bad_concurrency_is_one_line_and_exit_2(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", f"--concurrency={given}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("audience-conformance: error: --concurrency ") and "\n" not in err


def test_a_bad_concurrency_in_the_variable_is_refused_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_CONCURRENCY, "0")
    assert main(["run"]) == 2
    assert "--concurrency must be at least 1, not 0" in capsys.readouterr().err


@pytest.mark.parametrize(("workers", "concurrency"), [("9", None), ("3", "2")])
def test_more_workers_than_the_concurrency_is_one_line_and_exit_2(
    workers: str, concurrency: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [] if concurrency is None else ["--concurrency", concurrency]
    assert main(["run", "--workers", workers, *extra]) == 2
    err = capsys.readouterr().err.strip()
    allowed = concurrency or DEFAULT_CONCURRENCY
    assert err == (
        f"audience-conformance: error: --workers {workers} is more than --concurrency {allowed}: "
        "each worker keeps at least one request in flight; lower --workers or raise --concurrency."
    )


def test_the_plugin_refuses_more_workers_than_the_concurrency() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-n", "3"]
        + [f"{PYTEST_FLAGS['concurrency']}=2", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "-n 3 is more than --audience-concurrency 2" in done.stderr


def test_the_concurrency_comes_from_the_option_the_variable_or_the_default() -> None:
    assert build_settings(**_NO_TARGET, environ={}).concurrency == DEFAULT_CONCURRENCY == 8
    assert build_settings(**_NO_TARGET, environ={ENV_CONCURRENCY: "5"}).concurrency == 5
    given = build_settings(**_NO_TARGET, concurrency="3", environ={ENV_CONCURRENCY: "5"})
    assert given.concurrency == 3


@pytest.mark.parametrize("connections", [1, 3])
def test_the_pool_keeps_as_many_connections_as_the_process_may_use(connections: int) -> None:
    """Three threads, ten requests each, at once, against a server that answers 20 ms late:
    each thread's connection is reused (three made for thirty requests), and once they are
    done the pool keeps open as many as the process may keep in flight, no more."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(0.02)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    with ReferenceServer(app) as server:
        policy = RequestPolicy(Origin.of(server.base_url), connections=connections)
        target = Target(server.base_url, "k-1", policy)
        start = threading.Barrier(3)

        def send_ten() -> None:
            start.wait(10)
            for _ in range(10):
                assert target.get("/v1/audiences").status_code == 200

        threads = [threading.Thread(target=send_ten) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pools = target.adapter.poolmanager.pools
        [pool] = [pools[key] for key in pools.keys()]  # noqa: SIM118 - it has no iterator
        made = pool.num_connections
        assert pool.pool is not None
        kept = [connection for connection in pool.pool.queue if connection is not None]
        size = pool.pool.maxsize
        target.close()
    assert size == connections
    assert made == 3
    assert len(kept) == connections
