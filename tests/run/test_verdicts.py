"""The verdict means what it says: one small faulty server per way a verdict could lie.

Each case serves a server on loopback, runs the suite against it as a user would (quick profile,
narrowed with ``--rule`` where the case allows), and checks the exit code, the certificate's
headline and the outcome of the rules the case is about, read from the certificate's JSON:

- a rule is "passed" only when its checks ran to the end and held: a failed test does not
  pass the other rules it declares, they are "not verified" (blocked by the rule that failed);
- a refused precondition (a valid create or list) fails the rule that requires it, never a skip;
- a failure is charged to the rule it names, not to every rule its test declares;
- a SHOULD failure blocks no MUST rule: a test that checks both keeps it for its end;
- a rule whose condition never arose (no 429 came: ROB-03) is "not exercised", not "passed";
- what the contract leaves open (clamping a page size over 100) fails no MUST rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from mutation import catalogue
from mutation.catalogue import MUTANTS, VARIANTS, ASGIApp, Server
from mutation.harness import SuiteRun, run_suite, serve
from mutation.toolkit.answers import Answer, Exchange, Rewrite, envelope

from conformance.reference.app import create_app
from conformance.reference.store import Store

catalogue.load_all()
OUTCOMES = frozenset({"passed", "failed", "not verified", "out of scope", "not exercised"})
VALID_NUMBER = "+37491234567"


# -- the small servers of the cases that the catalogue does not hold ----------------------------


def lists_answer_404(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """GET /v1/audiences answers 404 for every page size but 1 (the size the run's first probe asks
    for, so the run starts and the tests meet the fault)."""

    def not_found(exchange: Exchange) -> Answer | None:
        query = dict(parse_qsl(exchange.scope.get("query_string", b"").decode("latin-1")))
        if (
            exchange.method == "GET"
            and exchange.scope["path"] == "/v1/audiences"
            and query.get("page_size") != "1"
        ):
            return envelope(exchange, 404, 1301, "Not found.")
        return None

    return Rewrite(create_app(store, keys), on_request=not_found)


def refuses_a_valid_number(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """A create whose contacts hold the valid number +37491234567 is refused as a number of the wrong form."""

    def refuse(exchange: Exchange) -> Answer | None:
        contacts = exchange.data().get("contacts")
        numbers = (
            [contact.get("number") for contact in contacts if isinstance(contact, dict)]
            if isinstance(contacts, list)
            else []
        )
        if exchange.method == "POST" and VALID_NUMBER in numbers:
            return envelope(exchange, 400, 1354, "Invalid contact number.")
        return None

    return Rewrite(create_app(store, keys), on_request=refuse)


def viber_creates_not_implemented(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """A valid create of a VIBER audience answers 501, as a server would that has not built it yet."""

    def not_implemented(exchange: Exchange) -> Answer | None:
        if (
            exchange.method == "POST"
            and not exchange.segments
            and exchange.data().get("channel") == "VIBER"
            and isinstance(exchange.data().get("name"), str)
        ):
            return envelope(exchange, 501, 1000, "VIBER audiences are not implemented.")
        return None

    return Rewrite(create_app(store, keys), on_request=not_implemented)


REFERENCE = Server("reference", "the reference, unchanged", create_app)


# -- cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    server: Server
    exit_code: int
    headline: str  # a regular expression the certificate's verdict matches whole
    outcomes: Mapping[str, str | frozenset[str]]  # rule -> its outcome (or one of several)
    never: Mapping[str, str] = field(default_factory=dict)  # rule -> an outcome it must not have
    rules: tuple[str, ...] = ()  # --rule, where the case allows narrowing
    reason_names: Mapping[str, str] = field(
        default_factory=dict
    )  # rule -> a word its reasons must hold


CASES = {
    "list-404-passes-nothing-else": Case(
        Server(
            "lists-answer-404", "GET /v1/audiences answers 404 but at page size 1", lists_answer_404
        ),
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"PAGE-04": "failed", "PAGE-01": frozenset({"not verified", "out of scope"})},
        never={
            rule: "passed"
            for rule in ("PAGE-01", "PAGE-03", "PAGE-05", "PAGE-06", "PAGE-08", "PAGE-09")
        },
        rules=("PAGE-04",),
    ),
    "refused-contact-fails-crud-01": Case(
        MUTANTS["contact-names-with-a-space-refused"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={
            "CRUD-01": "failed",
            "FILT-01": "not verified",
            "FILT-02": "not verified",
            "CRUD-06": "not verified",
        },
        reason_names={"FILT-01": "CRUD-01"},
    ),
    "refused-number-charged-to-crud-01": Case(
        Server(
            "refuses-a-valid-number",
            f"refuses the valid number {VALID_NUMBER}",
            refuses_a_valid_number,
        ),
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"CRUD-01": "failed"},
        never={"ROB-01": "failed", "TEN-01": "failed"},
    ),
    "refused-all-zeros-number-fails-crud-01-not-val-1354": Case(
        MUTANTS["all-zeros-number-refused"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"CRUD-01": "failed"},
        never={"VAL-1354": "failed"},
    ),
    "invalid-page-size-served-fails-page-10-and-blocks-no-must-rule": Case(
        MUTANTS["invalid-page-size-means-the-default"],
        exit_code=0,
        headline="CONFORMANT",
        outcomes={
            "PAGE-10": "failed",
            "ROB-01": "passed",
            "AUD-01": "passed",
            "JSON-01": "passed",
            "ROB-04": "passed",
        },
    ),
    "not-implemented-create-charged-to-crud-01": Case(
        Server(
            "viber-creates-not-implemented",
            "501 on a valid VIBER create",
            viber_creates_not_implemented,
        ),
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"CRUD-01": "failed"},
        never={"JSON-01": "failed", "DATE-01": "failed", "AUD-01": "failed"},
    ),
    "clamped-page-size-is-legal": Case(
        VARIANTS["page-size-clamped"],
        exit_code=0,
        headline="CONFORMANT",
        outcomes={"PAGE-01": "passed", "ROB-04": "passed"},
    ),
    "constant-account-id-fails-crud-01": Case(
        MUTANTS["constant-account-id"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"CRUD-01": "failed"},
    ),
    "missing-update-date-fails-its-own-rule": Case(
        MUTANTS["update-date-missing"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"AUD-01": "failed"},
        never={"ROB-03": "failed", "CRUD-04": "passed"},
    ),
    "error-without-errors-fails-err-01": Case(
        MUTANTS["not-found-without-errors"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"ERR-01": "failed"},
        rules=("ERR-01",),
    ),
    "dropped-connection-fails-rob-01": Case(
        MUTANTS["unknown-parameter-drops-the-connection"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"ROB-01": "failed"},
        rules=("ROB-01",),
    ),
    "unprefixed-leftover-fails-val-01": Case(
        MUTANTS["refused-create-leaves-a-draft"],
        exit_code=1,
        headline="NOT CONFORMANT",
        outcomes={"VAL-01": "failed"},
        rules=("VAL-01",),
    ),
    "no-429-leaves-rob-03-not-exercised": Case(
        REFERENCE,
        exit_code=0,
        headline="CONFORMANT",
        outcomes={"ROB-03": "not exercised", "CRUD-01": "passed"},
    ),
    "a-narrowed-run-says-how-much-it-certifies": Case(
        REFERENCE,
        exit_code=0,
        headline=r"CONFORMANT on ([1-9]|[12][0-9]|3[0-3]) of 34 MUST rules",
        outcomes={"PAGE-04": "passed", "TEN-02": "out of scope"},
        rules=("PAGE-04",),
    ),
}


def certificate_of(run: SuiteRun) -> dict[str, Any]:
    """The run's certificate JSON: next to its JUnit file, or in reports/ below the run's folder."""
    assert run.folder is not None
    found = [
        path
        for path in (run.folder / "certificate.json", run.folder / "reports" / "certificate.json")
        if path.exists()
    ]
    assert found, (
        f"no certificate.json in {run.folder}: exit {run.exit_code}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    )
    document: dict[str, Any] = json.loads(found[0].read_text(encoding="utf-8"))
    return document


def explain(run: SuiteRun, rules: Mapping[str, Mapping[str, Any]]) -> str:
    shown = {
        rule_id: (entry.get("outcome"), entry.get("reasons"))
        for rule_id, entry in rules.items()
        if entry.get("outcome") != "passed"
    }
    return f"exit {run.exit_code}; rules not passed: {shown}\n{run.stdout[-1500:]}\n{run.stderr[-1500:]}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_verdict_says_what_the_server_did(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    with serve(case.server) as served:
        run = run_suite(served, profile="quick", rules=case.rules, junit_dir=tmp_path)
    certificate = certificate_of(run)
    rules = {str(entry["id"]): entry for entry in certificate["rules"]}
    assert run.exit_code == case.exit_code, explain(run, rules)
    assert re.fullmatch(case.headline, str(certificate["verdict"])), (
        f"headline {certificate['verdict']!r}, expected {case.headline!r}\n{explain(run, rules)}"
    )
    assert {str(entry["outcome"]) for entry in rules.values()} <= OUTCOMES, explain(run, rules)
    for rule_id, wanted in case.outcomes.items():
        allowed = wanted if isinstance(wanted, frozenset) else frozenset({wanted})
        assert rules[rule_id]["outcome"] in allowed, (
            f"{rule_id}: {rules[rule_id]['outcome']!r}, expected {sorted(allowed)}\n{explain(run, rules)}"
        )
    for rule_id, refused in case.never.items():
        assert rules[rule_id]["outcome"] != refused, (
            f"{rule_id} is {refused!r}\n{explain(run, rules)}"
        )
    for rule_id, word in case.reason_names.items():
        assert word in json.dumps(rules[rule_id].get("reasons")), (
            f"{rule_id}'s reasons do not name {word}\n{explain(run, rules)}"
        )


def test_every_case_names_real_rules_and_outcomes() -> None:
    """Fast: a case that names a rule or an outcome the certificate cannot hold would pass vacuously or never."""
    from conformance.contract.rules import RULES_BY_ID

    for name, case in CASES.items():
        named = {*case.outcomes, *case.never, *case.rules, *case.reason_names}
        assert named <= set(RULES_BY_ID), f"{name}: {sorted(named - set(RULES_BY_ID))}"
        for wanted in [*case.outcomes.values(), *case.never.values()]:
            assert (wanted if isinstance(wanted, frozenset) else {wanted}) <= OUTCOMES, name
