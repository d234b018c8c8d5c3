"""Detection power per second: the suite and plain schemathesis against every catalogued mutant.

Each mutant is served on loopback (``mutation.harness.serve``) behind a counter of the requests
that reach it, and attacked by each tool in a child process:

- the suite: ``audience-conformance run`` of the whole suite (no ``--rule``), ``--strict`` when
  the mutant's rule is SHOULD-level or the mutant breaks only a rule's SHOULD part
  (``mutants_pagination.SHOULD_ONLY``); caught when it exits 1 naming the mutant's rule;
- plain schemathesis on ``openapi/audiences.yaml``: ``--checks all``, every phase (stateful
  included), ``--max-examples`` calibrated towards the number of requests the suite's quick
  profile sends to the reference; caught when it exits 1.

schemathesis runs with the project's ``schemathesis.toml``, the way the README tells anyone to run
it: page tokens come only from links (a made-up token is a request the contract lets a server
refuse, so without it schemathesis fails the reference itself, and "exits 1" would catch every
server, sound or not). Calibration checks that it passes the reference: its exit code there is
reported beside the table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import PYTHON, ROOT, SPEC, CountingApp, child_environment, project_on_path

SCHEMATHESIS = str(Path(PYTHON).parent / "schemathesis")
SCHEMATHESIS_TIMEOUT = 900.0
SEED = 1
REFERENCE = "reference"
# The project's settings for schemathesis, as installed with the suite (the key is read from the
# environment, never from a command line).
PROJECT_SCHEMATHESIS_CONFIG = ROOT / "conformance" / "schemathesis.toml"
FIRST_GUESS = 20  # --max-examples tried first
# Its requests to the reference hardly grow with --max-examples while its time does (measured:
# 20 -> 502 requests in 13 s, 120 -> 604 in 20 s, 250 -> 809 in 52 s): no reasonable setting
# reaches the suite's ~2,000, so calibration stops here.
MAX_EXAMPLES = 100
CALIBRATION_ROUNDS = 3
CLOSE_ENOUGH = 0.1  # of the suite's request count


@dataclass(frozen=True)
class Task:
    tool: str  # "suite" or "schemathesis"
    server: str  # a mutant's name, or "reference"
    profile: str = "quick"  # the suite's profile
    max_examples: int = 0  # schemathesis' --max-examples


@dataclass(frozen=True)
class Outcome:
    task: Task
    rule: str | None
    exit_code: int
    caught: bool
    seconds: float
    requests: int
    failed_rules: tuple[str, ...] = ()


def run_task(task: Task) -> Outcome:
    """Serve the server of ``task`` behind a request counter and attack it with the task's tool."""
    project_on_path()
    from mutation.catalogue import MUTANTS, Server, load_all
    from mutation.harness import run_suite, serve
    from mutation.mutants_pagination import SHOULD_ONLY

    from conformance.contract.rules import RULES_BY_ID, Level
    from conformance.reference.app import create_app

    load_all()
    server = (
        Server(REFERENCE, "the reference server", create_app)
        if task.server == REFERENCE
        else MUTANTS[task.server]
    )
    counters: list[CountingApp] = []
    counted = Server(
        server.name,
        server.description,
        _counting(server.build, counters),
        server.rule,
        server.path_prefix,
    )
    with tempfile.TemporaryDirectory(prefix="bench-detect-") as folder, serve(counted) as served:
        started = time.perf_counter()
        if task.tool == "suite":
            # Strict for a SHOULD rule, and for a mutant that breaks only the SHOULD part of a
            # MUST rule (PAGE-11's "gets 400"), as the catalogue's own tests run them.
            strict = (
                server.rule is None
                or RULES_BY_ID[server.rule].level is Level.SHOULD
                or server.name in SHOULD_ONLY
            )
            run = run_suite(
                served,
                profile=task.profile,
                extra=("--strict",) if strict else (),
                junit_dir=Path(folder),
            )
            seconds = time.perf_counter() - started
            failed = tuple(sorted(run.failed_rules()))
            caught = run.exit_code == 1 and server.rule in failed
            return Outcome(
                task, server.rule, run.exit_code, caught, seconds, counters[0].count, failed
            )
        code = _schemathesis(task, served.base_url, served.api_key, Path(folder))
        seconds = time.perf_counter() - started
        return Outcome(task, server.rule, code, code == 1, seconds, counters[0].count)


def _counting(build: Callable[..., Any], counters: list[CountingApp]) -> Callable[..., Any]:
    def counted(store: Any, keys: Any) -> Any:
        app = CountingApp(build(store, keys))
        counters.append(app)
        return app

    return counted


def _schemathesis(task: Task, base_url: str, api_key: str, folder: Path) -> int:
    config = folder / "schemathesis.toml"
    config.write_text(PROJECT_SCHEMATHESIS_CONFIG.read_text())
    command = [
        SCHEMATHESIS, "--config-file", str(config), "run", str(SPEC), "--url", base_url,
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(task.max_examples), "--seed", str(SEED), "--workers", "1",
    ]  # fmt: skip
    env = child_environment(AUDIENCE_API_KEY=api_key)
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCHEMATHESIS_TIMEOUT,
        cwd=folder,
        check=False,
    )
    return done.returncode


@dataclass(frozen=True)
class Calibration:
    suite_requests: int
    suite_exit: int
    suite_seconds: float
    max_examples: int
    schemathesis_requests: dict[int, int]  # --max-examples -> requests to the reference
    schemathesis_seconds: dict[int, float]
    schemathesis_exit: (
        int  # its exit code on the reference at the chosen --max-examples: 0 when it passes it
    )


def calibrate(max_examples: int | None) -> Calibration:
    """Run both tools on the reference: the suite's quick request count, schemathesis' at each
    --max-examples tried (scaled towards the suite's count, requests grow about linearly with
    it), the closest one chosen."""
    suite = run_task(Task("suite", REFERENCE, "quick"))
    counts: dict[int, tuple[int, int]] = {}
    seconds: dict[int, float] = {}
    examples = max_examples or FIRST_GUESS
    for _ in range(1 if max_examples else CALIBRATION_ROUNDS):
        outcome = run_task(Task("schemathesis", REFERENCE, max_examples=examples))
        counts[examples] = (outcome.requests, outcome.exit_code)
        seconds[examples] = outcome.seconds
        print(
            f"  schemathesis --max-examples {examples}: {outcome.requests} requests to the reference in {outcome.seconds:.1f} s, exit {outcome.exit_code}",
            flush=True,
        )
        if abs(outcome.requests - suite.requests) <= CLOSE_ENOUGH * suite.requests:
            break
        examples = min(
            MAX_EXAMPLES, max(1, round(examples * suite.requests / max(outcome.requests, 1)))
        )
        if examples in counts:
            break
    chosen = min(counts, key=lambda tried: abs(counts[tried][0] - suite.requests))
    print(
        f"  suite (quick): {suite.requests} requests to the reference, exit {suite.exit_code}; schemathesis calibrated to --max-examples {chosen}",
        flush=True,
    )
    return Calibration(
        suite.requests,
        suite.exit_code,
        suite.seconds,
        chosen,
        {tried: count for tried, (count, _) in counts.items()},
        seconds,
        counts[chosen][1],
    )


def measure(
    profiles: list[str], workers: int, max_examples: int | None, mutants: list[str] | None
) -> tuple[Calibration, list[Outcome]]:
    project_on_path()
    from mutation.catalogue import MUTANTS, load_all

    load_all()
    names = sorted(MUTANTS) if not mutants else mutants
    calibration = calibrate(max_examples)
    tasks = []
    for name in names:
        # Interleaved, so both tools meet the same load on the machine.
        tasks += [Task("suite", name, profile) for profile in profiles]
        tasks.append(Task("schemathesis", name, max_examples=calibration.max_examples))
    outcomes = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, outcome in enumerate(pool.map(run_task, tasks), start=1):
            outcomes.append(outcome)
            tool = outcome.task.tool + (
                f" ({outcome.task.profile})" if outcome.task.tool == "suite" else ""
            )
            mark = "caught" if outcome.caught else "MISSED"
            print(
                f"  [{done}/{len(tasks)}] {outcome.task.server} ({outcome.rule}) {tool}: {mark}, exit {outcome.exit_code}, {outcome.seconds:.1f} s, {outcome.requests} requests",
                flush=True,
            )
    return calibration, outcomes


if __name__ == "__main__":  # one task by hand: python bench/detection.py suite MUTANT [PROFILE]
    print(run_task(Task(sys.argv[1], sys.argv[2], *(sys.argv[3:4] or ["quick"]), max_examples=10)))
