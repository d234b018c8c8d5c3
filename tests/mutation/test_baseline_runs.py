"""Gating on regressions, with real runs: a staging that fails a rule today is gated from day one.

A mutant that breaks DATE-01 is the staging; its own run is the baseline. Run again against
it, ``run --baseline`` exits 0 though the verdict is NOT CONFORMANT. A server with the same
fault and one more (error codes sent as strings, ERR-01's mutant) exits 1, naming ERR-01 alone
as the regression; ``diff`` of the certificates says the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp

from conformance.cli.main import main
from mutation.catalogue import MUTANTS, Server, load_all
from mutation.harness import SuiteRun, run_suite, serve
from mutation.toolkit.answers import Rewrite, each_error

load_all()
RULES = ("DATE-01", "ERR-01")  # the baseline's failing rule and the one that will regress
STAGING = MUTANTS["dates-with-t"]


def _codes_as_strings(item: dict[str, Any]) -> None:
    item["code"] = str(item["code"])  # as ERR-01's mutant 'codes-as-strings' does


def _one_fault_more(store: Any, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(STAGING.build(store, keys), on_answer=each_error(_codes_as_strings))


WORSE = Server("dates-with-t-and-codes-as-strings", "DATE-01 and ERR-01 broken", _one_fault_more)


def _run(server: Server, folder: Path, *extra: str) -> SuiteRun:
    folder.mkdir(parents=True)
    with serve(server) as served:
        return run_suite(served, rules=RULES, extra=extra, junit_dir=folder)


def _certificate(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "certificate.json").read_text(encoding="utf-8")))


def _outcomes(folder: Path) -> dict[str, str]:
    return {rule["id"]: rule["outcome"] for rule in _certificate(folder)["rules"]}


@pytest.mark.slow
def test_a_baseline_gates_on_the_one_rule_that_regressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _run(STAGING, tmp_path / "base")
    assert base.exit_code == 1, base.stderr[-800:]
    assert {rule: _outcomes(tmp_path / "base")[rule] for rule in RULES} == {
        "DATE-01": "failed",
        "ERR-01": "passed",
    }
    baseline = str(tmp_path / "base" / "certificate.json")

    same = _run(STAGING, tmp_path / "same", "--baseline", baseline)
    assert same.exit_code == 0, same.stdout[-1500:] + same.stderr[-800:]
    assert "verdict: NOT CONFORMANT" in same.stdout
    assert f"baseline {baseline}: no regression: no rule that passed in the baseline fails now" in (
        same.stdout
    )
    assert not [line for line in same.stdout.splitlines() if line.endswith(", regression")]
    assert _certificate(tmp_path / "same")["baseline"].startswith(
        f"against {baseline}: no regression"
    )

    worse = _run(WORSE, tmp_path / "worse", "--baseline", baseline)
    assert worse.exit_code == 1, worse.stdout[-1500:] + worse.stderr[-800:]
    assert (
        f"baseline {baseline}: REGRESSION: 1 rule passed in the baseline and fails now: ERR-01"
        in worse.stdout
    )
    regressed = [line for line in worse.stdout.splitlines() if line.endswith(", regression")]
    assert regressed == ["  ERR-01 (MUST): passed -> failed, regression"]
    assert main(["verify", str(tmp_path / "worse" / "certificate.json")]) == 1  # not conformant
    assert "the certificate says" not in capsys.readouterr().out  # but untouched

    assert main(["diff", baseline, str(tmp_path / "worse" / "certificate.json")]) == 1
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row for row in table if row.endswith("| regression |")] == [
        "| ERR-01 | MUST | passed | failed | regression |"
    ]
    assert main(["diff", baseline, str(tmp_path / "same" / "certificate.json")]) == 0
