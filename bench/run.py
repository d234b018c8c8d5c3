"""The project's benchmarks, in one command: ``python bench/run.py`` from the project root.

Six sections, each selectable with ``--only``:

- ``profiles``: wall time of ``audience-conformance run`` on the embedded reference, per profile;
- ``detection``: mutants caught per second, the suite against plain schemathesis;
- ``walk``: the suite's walker over 10,000 and 100,000 audiences (time, requests, peak RSS);
- ``throughput``: requests per second of the reference against the bare stack's ceiling (wrk);
- ``latency``: quick and default runs against the reference answering 50 ms late (``--workers auto``),
  in rounds each with its own loopback baseline, with each run's longest chain of dependent
  requests and the floors it and the request count imply;
- ``big-account``: the default profile on an account holding 5,000 audiences against an empty one.

Prints one table per section, with each target and whether it was met, and writes every figure
to ``reports/bench.json``. Benchmarks never run inside the test suite.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, load_average, median, project_on_path

project_on_path()

SECTIONS = ("profiles", "detection", "walk", "throughput", "latency", "big-account")
PROFILES = ("quick", "default", "thorough")
DEFAULT_REPEATS = {"quick": 3, "default": 3, "thorough": 1}
TARGET_SECONDS = {"quick": 15.0, "default": 60.0}
BIG_ACCOUNT_RATIO = 1.5  # at most this many times the time and the requests of an empty account


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable; default: all)",
    )
    parser.add_argument(
        "--profiles",
        default=",".join(PROFILES),
        help="profiles timed in 'profiles' (default: quick,default,thorough)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="repetitions per profile (default: 3 for quick and default, 1 for thorough)",
    )
    parser.add_argument(
        "--detection-profiles",
        default="quick",
        help="suite profiles run against each mutant (default: quick)",
    )
    parser.add_argument(
        "--mutant",
        action="append",
        help="only this mutant in 'detection' (repeatable; default: the whole catalogue)",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        help="schemathesis --max-examples (default: calibrated on the reference)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="process pool size for 'detection' (default 2)"
    )
    parser.add_argument(
        "--walk-sizes",
        default="10000,100000",
        help="collection sizes walked (default 10000,100000)",
    )
    parser.add_argument(
        "--walk-page-sizes", default="100,20", help="page sizes walked (default 100,20)"
    )
    parser.add_argument(
        "--held",
        type=int,
        default=5000,
        help="audiences the account holds in 'big-account' (default 5000)",
    )
    parser.add_argument(
        "--big-profile", default="default", help="profile run in 'big-account' (default: default)"
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of load per wrk measurement (default 10)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=50.0,
        help="added to every answer in 'latency' (default 50)",
    )
    parser.add_argument(
        "--latency-workers",
        default="auto",
        help="worker settings timed in 'latency', comma-separated (default auto)",
    )
    parser.add_argument(
        "--latency-rounds",
        type=int,
        default=3,
        help="rounds in 'latency', each a baseline and the runs compared with it (default 3)",
    )
    parser.add_argument(
        "--latency-profiles",
        default="quick,default",
        help="profiles timed in 'latency' (default quick,default)",
    )
    parser.add_argument(
        "--json",
        default=str(ROOT / "reports" / "bench.json"),
        help="where to write every figure (default reports/bench.json)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sections = args.only or list(SECTIONS)
    figures: dict[str, Any] = {
        "machine": _machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    tables: list[str] = []
    for section in sections:
        print(f"== {section} (load average {load_average()})", flush=True)
        table, data = RUNNERS[section](args)
        figures[section] = data
        tables.append(table)
        print(table, flush=True)
    figures["load_average_at_end"] = load_average()
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    print(
        f"\n# Benchmarks ({figures['machine']}; load average at end {figures['load_average_at_end']})\n"
    )
    print("\n\n".join(tables))
    print(f"\nfigures: {args.json}")
    return 0


def _machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# -- sections ----------------------------------------------------------------------------------


def run_profiles(args: argparse.Namespace) -> tuple[str, Any]:
    import suite_time

    profiles = [name for name in args.profiles.split(",") if name]
    repeats = {name: args.repeat or DEFAULT_REPEATS[name] for name in profiles}
    results = suite_time.measure(profiles, repeats)
    rows = []
    for result in results:
        target = TARGET_SECONDS.get(result.profile)
        verdict = _met(result.median < target) if target else "-"
        runs = ", ".join(f"{seconds:.1f}" for seconds in result.seconds)
        rows.append(
            [
                result.profile,
                f"{result.median:.1f}",
                runs,
                f"{result.median_cpu:.1f}",
                " ".join(map(str, result.exit_codes)),
                f"< {target:.0f} s" if target else "-",
                verdict,
            ]
        )
    table = "### audience-conformance run, embedded reference\n\n" + _markdown(
        ["profile", "median wall s", "runs (s)", "median CPU s", "exit codes", "target", "met"],
        rows,
    )
    return table, [asdict(result) for result in results]


def run_latency(args: argparse.Namespace) -> tuple[str, Any]:
    import latency

    profiles = [name for name in args.latency_profiles.split(",") if name]
    runs = latency.measure(
        profiles,
        args.latency_ms,
        [n for n in args.latency_workers.split(",") if n],
        rounds=args.latency_rounds,
    )
    ratios = [run.seconds / _latency_baseline(runs, run).seconds for run in runs]
    rows = []
    for run, ratio in zip(runs, ratios, strict=True):
        rows.append([run.profile, str(run.round), f"+{run.latency_ms:g} ms", run.workers, run.history, f"{run.seconds:.1f}",
                     f"{ratio:.2f}x", str(run.requests), str(run.longest_chain),
                     f"{run.floor_seconds:.1f}" if run.latency_ms else "-",
                     f"{run.concurrency_floor_seconds:.1f}" if run.latency_ms else "-",
                     str(run.exit_code), run.verdict])  # fmt: skip
    per_setting: dict[tuple[str, str, str], list[float]] = {}
    for run, ratio in zip(runs, ratios, strict=True):
        if run.latency_ms > 0:
            per_setting.setdefault((run.profile, run.workers, run.history), []).append(ratio)
    judged = []
    for (profile, workers, history), rounds in per_setting.items():
        middle = median(rounds)
        target = latency.TARGET_RATIO.get(profile) if workers == "auto" else None
        judged.append([profile, workers, history, ", ".join(f"{ratio:.2f}x" for ratio in rounds), f"{middle:.2f}x",
                       f"<= {target}x" if target else "-", _met(middle <= target) if target else "-"])  # fmt: skip
    table = "### Reference answering late: workers, concurrency and the critical path\n\n" + _markdown(
        ["profile", "round", "latency", "workers", "history", "wall s", "vs the round's loopback 1 worker", "requests",
         "longest chain", "chain floor s", "8 in flight floor s", "exit", "verdict"],
        rows,
    ) + "\n\nJudged on the median of the rounds' ratios:\n\n" + _markdown(
        ["profile", "workers", "history", "ratio per round", "median ratio", "target", "met"], judged
    )  # fmt: skip
    return table, [
        {
            **asdict(run),
            "ratio_to_round_baseline": ratio,
            "floor_seconds": run.floor_seconds,
            "concurrency_floor_seconds": run.concurrency_floor_seconds,
        }
        for run, ratio in zip(runs, ratios, strict=True)
    ]


def _latency_baseline(runs: list[Any], run: Any) -> Any:
    """The loopback run of 1 worker of the same profile and round."""
    return next(
        base
        for base in runs
        if base.profile == run.profile and base.round == run.round and base.latency_ms == 0
    )


def run_detection(args: argparse.Namespace) -> tuple[str, Any]:
    import detection

    from conformance.contract.rules import RULES_BY_ID

    profiles = [name for name in args.detection_profiles.split(",") if name]
    calibration, outcomes = detection.measure(
        profiles, args.workers, args.max_examples, args.mutant
    )
    mutants = sorted({outcome.task.server for outcome in outcomes})
    schemathesis = [outcome for outcome in outcomes if outcome.task.tool == "schemathesis"]
    st_caught = sum(outcome.caught for outcome in schemathesis)
    st_seconds = sum(outcome.seconds for outcome in schemathesis)
    st_requests = sum(outcome.requests for outcome in schemathesis)
    rows = [
        [
            "schemathesis (all checks, stateful)",
            f"--max-examples {calibration.max_examples}",
            f"{st_caught}/{len(mutants)}",
            f"{st_seconds:.0f}",
            f"{st_requests / max(len(schemathesis), 1):.0f}",
            "1.00",
            "1.00",
            "-",
        ]
    ]
    for profile in profiles:
        ours = [
            outcome
            for outcome in outcomes
            if outcome.task.tool == "suite" and outcome.task.profile == profile
        ]
        caught = sum(outcome.caught for outcome in ours)
        seconds = sum(outcome.seconds for outcome in ours)
        time_ratio = seconds / st_seconds if st_seconds else float("inf")
        # With schemathesis at 0, any catch is "at least 3x"; the ratio is shown as caught/0.
        catch_met = caught >= 3 * st_caught and caught > 0
        shown = f"{caught / st_caught:.2f}" if st_caught else f"{caught}/0"
        met = _met(catch_met and time_ratio <= 2)
        rows.append(
            [
                f"the suite, {profile}",
                "full suite, --strict for SHOULD rules",
                f"{caught}/{len(mutants)}",
                f"{seconds:.0f}",
                f"{sum(o.requests for o in ours) / max(len(ours), 1):.0f}",
                shown,
                f"{time_ratio:.2f}",
                met,
            ]
        )
    missed = {
        profile: sorted(
            o.task.server
            for o in outcomes
            if o.task.tool == "suite" and o.task.profile == profile and not o.caught
        )
        for profile in profiles
    }
    st_only = sorted(o.task.server for o in schemathesis if o.caught)
    rules = {outcome.task.server: outcome.rule for outcome in outcomes if outcome.rule}
    levels = {
        level: sum(1 for rule in rules.values() if RULES_BY_ID[rule].level.value == level)
        for level in ("MUST", "SHOULD")
    }
    table = "### Mutants caught, the suite against plain schemathesis\n\n" + _markdown(
        [
            "tool",
            "settings",
            "caught",
            "seconds (sum of runs)",
            "requests per run",
            "caught ratio",
            "time ratio",
            "target (>= 3x caught, <= 2x time) met",
        ],
        rows,
    )
    table += (
        f"\n\n{len(mutants)} mutants ({levels['MUST']} MUST, {levels['SHOULD']} SHOULD), {args.workers} workers. On the unchanged reference the suite's quick"
        f" profile sends {calibration.suite_requests} requests in {calibration.suite_seconds:.0f} s (exit {calibration.suite_exit}); schemathesis sends"
        f" {', '.join(f'{count} in {calibration.schemathesis_seconds[examples]:.0f} s at --max-examples {examples}' for examples, count in sorted(calibration.schemathesis_requests.items()))}"
        f"; at the chosen setting it exits {calibration.schemathesis_exit} on the reference itself"
        " (0: it passes the reference, so its exit 1 on a mutant is a catch)."
    )
    for profile, names in missed.items():
        table += f"\n\nMissed by the suite ({profile}): {', '.join(names) or 'none'}."
    table += f"\n\nCaught by schemathesis: {', '.join(st_only) or 'none'}."
    data = {
        "calibration": asdict(calibration),
        "outcomes": [asdict(outcome) for outcome in outcomes],
    }
    return table, data


def run_walk(args: argparse.Namespace) -> tuple[str, Any]:
    import walk_scale

    sizes = [int(size) for size in args.walk_sizes.split(",")]
    page_sizes = [int(size) for size in args.walk_page_sizes.split(",")]
    results = walk_scale.measure(sizes, page_sizes)
    smallest = {
        result.page_size: result.rss_mb for result in results if result.audiences == min(sizes)
    }
    rows = []
    for result in results:
        growth = result.rss_mb / smallest[result.page_size] - 1
        requests_ok = (
            result.requests == result.server_requests == result.pages == result.expected_pages
            and result.items == result.audiences
        )
        checks = [requests_ok, result.rss_mb < 150, growth <= 0.10]
        if result.audiences == 100_000 and result.page_size == 100:
            checks.append(result.seconds < 60)
        rows.append(
            [
                f"{result.audiences:,}",
                str(result.page_size),
                f"{result.seconds:.1f}",
                f"{result.requests} / {result.server_requests}",
                str(result.expected_pages),
                f"{result.rss_mb:.1f}",
                f"{growth:+.1%}",
                _met(all(checks)),
            ]
        )
    table = (
        "### Walking a whole collection (walker and server in separate processes)\n\n"
        + _markdown(
            [
                "audiences",
                "page size",
                "seconds",
                "requests sent / served",
                "pages expected",
                "walker peak RSS MiB",
                f"RSS vs {min(sizes):,}",
                "targets met",
            ],
            rows,
        )
    )
    table += "\n\nTargets: requests = pages; peak RSS < 150 MiB and at most 10% above the smallest collection's; 100,000 at page size 100 in < 60 s."
    return table, [asdict(result) for result in results]


def run_throughput(args: argparse.Namespace) -> tuple[str, Any]:
    import list_cost
    import throughput

    try:
        result = throughput.measure(args.duration)
    except throughput.WrkMissing as error:
        return f"### Throughput\n\nskipped: {error}", {"skipped": str(error)}
    rows = []
    for ours, ceiling, same in zip(
        result.reference, result.bare, result.bare_same_body, strict=True
    ):
        ratio = (
            ours.requests_per_second / ceiling.requests_per_second
            if ceiling.requests_per_second
            else 0.0
        )
        same_ratio = (
            ours.requests_per_second / same.requests_per_second if same.requests_per_second else 0.0
        )
        target = ours.name.startswith("list")
        rows.append(
            [
                ours.name,
                f"{ours.requests_per_second:.0f}",
                f"{ceiling.requests_per_second:.0f}",
                f"{ratio:.2f}",
                f"{same.requests_per_second:.0f}",
                f"{same_ratio:.2f}",
                str(ours.errors + ceiling.errors + same.errors),
                ">= 0.50" if target else "-",
                _met(ratio >= 0.5) if target else "-",
            ]
        )
    table = (
        f"### Throughput (wrk, 1 thread, {throughput.CONNECTIONS} connections, {args.duration} s; one uvicorn server per process)\n\n"
        + _markdown(
            [
                "operation",
                "reference req/s",
                "bare stack req/s",
                "ratio",
                "bare, same body size, req/s",
                "ratio",
                "errors",
                "target (ratio to bare)",
                "met",
            ],
            rows,
        )
    )
    table += f"\n\nThe reference lists an account of {throughput.AUDIENCES:,} audiences; the bare stack is a Starlette endpoint answering a fixed JSON body on the same ReferenceServer settings."
    costs = list_cost.measure([20, 100])
    table += (
        "\n\nOne list request in process (microseconds, best of several rounds):\n\n"
        + _markdown(
            [
                "page size",
                "whole request",
                "rows read as records",
                "views",
                "JSON",
                "items' part per item",
            ],
            [
                [
                    str(cost.page_size),
                    f"{cost.request_us:.0f}",
                    f"{cost.records_us:.0f}",
                    f"{cost.views_us:.0f}",
                    f"{cost.json_us:.0f}",
                    f"{cost.per_item_us:.1f}",
                ]
                for cost in costs
            ],
        )
    )
    return table, {**asdict(result), "list_cost": [asdict(cost) for cost in costs]}


def run_big_account(args: argparse.Namespace) -> tuple[str, Any]:
    import big_account_time

    repeats = args.repeat or 1
    results = big_account_time.measure([0, args.held], args.big_profile, repeats)
    empty = [result for result in results if result.held == 0]
    base_seconds = median([result.seconds for result in empty])
    base_requests = median([float(result.requests) for result in empty])
    rows = []
    for held in (0, args.held):
        runs = [result for result in results if result.held == held]
        seconds, requests = (
            median([r.seconds for r in runs]),
            median([float(r.requests) for r in runs]),
        )
        time_ratio, request_ratio = seconds / base_seconds, requests / base_requests
        ok = (
            time_ratio <= BIG_ACCOUNT_RATIO
            and request_ratio <= BIG_ACCOUNT_RATIO
            and all(r.exit_code == 0 for r in runs)
        )
        rows.append(
            [
                f"{held:,}",
                f"{seconds:.1f}",
                f"{requests:.0f}",
                f"{time_ratio:.2f}",
                f"{request_ratio:.2f}",
                " ".join(str(r.exit_code) for r in runs),
                runs[0].walked_to_end,
                f"<= {BIG_ACCOUNT_RATIO}x" if held else "-",
                _met(ok) if held else "-",
            ]
        )
    table = (
        f"### {args.big_profile} profile on an account already holding audiences, against an empty one\n\n"
        + _markdown(
            [
                "audiences before the run",
                "median wall s",
                "requests served",
                "time ratio",
                "requests ratio",
                "exit codes",
                "page sizes walked to the end (certificate)",
                "target",
                "met",
            ],
            rows,
        )
    )
    return table, [asdict(result) for result in results]


RUNNERS = {
    "profiles": run_profiles,
    "detection": run_detection,
    "walk": run_walk,
    "throughput": run_throughput,
    "latency": run_latency,
    "big-account": run_big_account,
}


if __name__ == "__main__":
    raise SystemExit(main())
