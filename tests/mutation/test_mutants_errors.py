"""The suite catches each mutant of validation, auth and tenancy, lifecycle, answer shapes and
robustness (:mod:`mutation.mutants_validation` and its siblings), and passes the reference.

For each mutant the suite runs, as a user would, limited to the one rule the mutant breaks
(strict for a SHOULD rule), at seed 1: it must exit 1 and name that rule among the failures.
This is CI's quick check; the whole-suite proofs at three seeds are :mod:`mutation.test_proofs`
(a sample) and ``tox -e proofs`` (every mutant).
"""

from __future__ import annotations

import pytest

from conformance.reference.app import create_app
from conformance.rules import RULES_BY_ID, Level

from mutation import (
    mutants_answer_shapes,
    mutants_auth_and_tenancy,
    mutants_lifecycle,
    mutants_robustness,
    mutants_validation,
)
from mutation.catalogue import MUTANTS, Server
from mutation.harness import SuiteRun, run_suite, serve

OURS = [
    server
    for server in MUTANTS.values()
    if server.build.__module__
    in {
        module.__name__
        for module in (
            mutants_answer_shapes,
            mutants_auth_and_tenancy,
            mutants_lifecycle,
            mutants_robustness,
            mutants_validation,
        )
    }
]
RULES = sorted({server.rule for server in OURS if server.rule is not None})
REFERENCE = Server("reference", "the reference server, unchanged", create_app)


def _tail(run: SuiteRun) -> str:
    return "\n".join((run.stdout + run.stderr).splitlines()[-40:])


@pytest.mark.slow
@pytest.mark.parametrize("server", OURS, ids=[server.name for server in OURS])
def test_the_suite_catches_the_mutant(server: Server) -> None:
    assert server.rule is not None
    strict = ("--strict",) if RULES_BY_ID[server.rule].level is Level.SHOULD else ()
    with serve(server) as served:
        run = run_suite(served, profile="quick", rules=(server.rule,), extra=strict)
    assert run.exit_code == 1, (
        f"{server.name} ({server.description}) was not caught: exit {run.exit_code}\n{_tail(run)}"
    )
    assert server.rule in run.failed_rules(), (
        f"{server.name} failed {sorted(run.failed_rules())}, not {server.rule}\n{_tail(run)}"
    )


@pytest.mark.slow
def test_the_reference_passes_these_rules_strictly() -> None:
    with serve(REFERENCE) as served:
        run = run_suite(served, profile="quick", rules=tuple(RULES), extra=("--strict",))
    assert run.exit_code == 0, f"the reference failed {sorted(run.failed_rules())}\n{_tail(run)}"


def test_every_rule_of_this_part_has_a_mutant() -> None:
    owned = {
        "VAL-00",
        "VAL-01",
        *(
            f"VAL-{code}"
            for code in (1301, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1309, 1353, 1354, 1355)
        ),
    }
    owned |= {
        "AUTH-01",
        "TEN-01",
        "TEN-02",
        "CRUD-01",
        "CRUD-02",
        "CRUD-03",
        "CRUD-04",
        "CRUD-05",
        "DATE-01",
        "DATE-02",
    }
    owned |= {"ERR-01", "ERR-02", "JSON-01", "AUD-01", "ROB-01", "ROB-02", "ROB-03", "ROB-04"}
    assert owned <= set(RULES), f"rules without a mutant: {sorted(owned - set(RULES))}"
