"""Evidence before excuse: a check of the whole account fails at once unless another client's
write is proven (an id appeared, an id gone), on a real server on loopback whose account other
clients change, or that is wrong in ways that vary from read to read. What counts as evidence:
test_write_evidence.py; when a write can have caused a failure: test_evidence_in_time.py."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest
from paged_account import (
    JSON,
    NO_PAUSES,
    PAGE_SIZE,
    Account,
    StartServer,
    complete_walk,
    watched,
)
from recording_server import Reply

from conformance.checks.account_wide import decide
from conformance.verdict.violations import Inconclusive, RuleViolation


def test_a_later_page_with_a_random_earlier_item_fails_at_once(
    recording_server: StartServer,
) -> None:
    """A fault that differs on every read is no other client's write: nothing appeared, nothing went."""
    draw = random.Random(7)
    account = Account(
        [f"a{n}" for n in range(9)],
        wrong=lambda number, ids: [*ids[:-1], f"a{draw.randrange((number - 1) * PAGE_SIZE)}"],
    )
    target, witness = watched(recording_server(account.reply))
    tries = []
    with pytest.raises(RuleViolation) as caught:
        decide(
            lambda: tries.append(1) or complete_walk(target)(), witness=witness, pauses=NO_PAUSES
        )
    assert caught.value.rule == "PAGE-04"
    assert len(tries) == 1


def test_a_total_wrong_now_and_then_fails_the_first_time_it_is_seen(
    recording_server: StartServer,
) -> None:
    shifts = iter([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0])
    account = Account([f"a{n}" for n in range(6)], total_shift=lambda: next(shifts, 0))
    target, witness = watched(recording_server(account.reply))
    with pytest.raises(RuleViolation, match="PAGE-04"):
        decide(complete_walk(target), witness=witness, pauses=NO_PAUSES)


def test_an_audience_another_client_created_mid_walk_excuses_the_try_and_the_next_decides(
    recording_server: StartServer,
) -> None:
    account = Account([f"a{n}" for n in range(6)])
    reads_of_page_2 = []

    def another_client_writes(number: int) -> None:
        if number == 2:
            reads_of_page_2.append(number)
            if len(reads_of_page_2) == 2:  # the check's walk (the first walk is the baseline)
                account.ids.insert(0, "new1")  # the first page already read: the walk's total moves

    account.before_page.append(another_client_writes)
    target, witness = watched(recording_server(account.reply))
    tries = []
    decide(lambda: tries.append(1) or complete_walk(target)(), witness=witness, pauses=NO_PAUSES)
    assert len(tries) == 2


def test_writes_proven_beside_every_try_leave_the_check_not_verified_naming_them(
    recording_server: StartServer,
) -> None:
    account = Account([f"a{n}" for n in range(6)])
    made = iter(range(100))
    account.before_page.append(
        lambda number: account.ids.insert(0, f"new{next(made)}") if number == 2 else None
    )
    target, witness = watched(recording_server(account.reply))
    with pytest.raises(Inconclusive) as caught:
        decide(complete_walk(target), witness=witness, pauses=NO_PAUSES)
    assert "5 tries failed PAGE-04" in caught.value.reason
    assert "appeared ('new" in caught.value.reason and "try 5:" in caught.value.reason


def test_a_failure_without_a_witness_is_the_servers() -> None:
    def check() -> None:
        raise RuleViolation("PAGE-04", expected="total 50 on every page", received="total 51")

    with pytest.raises(RuleViolation, match="total 51"):
        decide(check, pauses=NO_PAUSES)


def test_a_flaky_replay_without_proven_writes_is_not_excused(recording_server: StartServer) -> None:
    """Hypothesis finding that an example answered differently on replay is two reads that
    disagree: without an id that appeared or went, it goes through as it is."""
    from hypothesis.errors import FlakyStrategyDefinition

    _, witness = watched(recording_server(Account([f"a{n}" for n in range(3)]).reply))
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise FlakyStrategyDefinition("the data drawn depended on the account")

    with pytest.raises(FlakyStrategyDefinition):
        decide(check, witness=witness, pauses=NO_PAUSES)
    assert calls == ["try"]


def test_other_errors_are_not_retried(recording_server: StartServer) -> None:
    _, witness = watched(recording_server(Account(["a0"]).reply))
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise ValueError("a bug of the suite")

    with pytest.raises(ValueError):
        decide(check, witness=witness, pauses=NO_PAUSES)
    assert calls == ["try"]


def test_several_failures_reported_together_are_decided_like_one(
    recording_server: StartServer,
) -> None:
    """Hypothesis reports a test's distinct failures as a group: without proven writes the
    group stands the first time; beside proven writes every time, it is inconclusive."""
    account = Account([f"a{n}" for n in range(4)])
    target, witness = watched(recording_server(account.reply))
    made = iter(range(100))

    def group(writes: bool) -> None:
        if writes:
            account.ids.insert(0, f"new{next(made)}")
            target.get("/v1/audiences")
        raise ExceptionGroup(
            "two",
            [
                RuleViolation("PAGE-06", expected="page 3", received="page 4"),
                RuleViolation("PAGE-04", expected="total 5", received="total 6"),
            ],
        )

    with pytest.raises(ExceptionGroup):
        decide(lambda: group(False), witness=witness, pauses=NO_PAUSES)
    with pytest.raises(Inconclusive, match="PAGE-06, PAGE-04") as caught:
        decide(lambda: group(True), witness=witness, pauses=NO_PAUSES)
    assert caught.value.rules == ("PAGE-06", "PAGE-04")  # neither verified, declared or not


def test_a_group_with_a_bug_of_the_suite_is_not_retried() -> None:
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise ExceptionGroup(
            "two",
            [RuleViolation("PAGE-04", expected="total 5", received="total 6"), KeyError("links")],
        )

    with pytest.raises(ExceptionGroup):
        decide(check, pauses=NO_PAUSES)
    assert calls == ["try"]


def test_a_writer_whose_audiences_live_a_moment_is_caught_reading_the_ends_of_the_list(
    recording_server: StartServer,
) -> None:
    """Another client creates and deletes at once: one walk after the failure sees nothing, but
    reading the first and last pages again for a moment shows one of its audiences."""
    account = Account([f"a{n}" for n in range(6)])
    reads = iter(range(1000))
    shifted = iter(
        [0, 0, 0, 0, 1]
    )  # the baseline walk (3 pages), then the check's first page and a moved total

    def passing(number: int) -> None:
        if "flash" in account.ids:
            account.ids.remove("flash")
        if next(reads) % 9 == 8:
            account.ids.insert(0, "flash")

    account.before_page.append(passing)
    account.total_shift = lambda: next(shifted, 0)
    target, witness = watched(recording_server(account.reply))
    tries = []
    decide(lambda: tries.append(1) or complete_walk(target)(), witness=witness, pauses=NO_PAUSES)
    assert len(tries) == 2


def test_with_repeats_the_same_failure_beside_writes_stands(recording_server: StartServer) -> None:
    """VAL-01 names the audiences that appeared: a server leaving one of its own name on every
    refused create says the same three times in a row, which another client's writes would not."""
    account = Account([f"a{n}" for n in range(4)])
    _, witness = watched(recording_server(account.reply))
    made = iter(range(100))
    tries: list[int] = []

    def leaves_a_draft() -> None:
        tries.append(1)
        account.ids.insert(0, f"draft{next(made)}")
        raise RuleViolation(
            "VAL-01", expected="no audience appears", received="others named ['draft']"
        )

    with pytest.raises(RuleViolation, match="draft"):
        decide(leaves_a_draft, witness=witness, pauses=NO_PAUSES, repeats=3)
    assert len(tries) == 3
    with pytest.raises(Inconclusive):
        decide(leaves_a_draft, witness=witness, pauses=NO_PAUSES)


def _with_a_fault_beside_a_write(account: Account, fault: str) -> Callable[[str, str], Reply]:
    """The account's server, which answers the check's first read of page 3 wrongly (``fault``)
    as another client creates an audience (proven: it is on page 1 of the next read)."""
    reads_of_page_3 = []

    def reply(method: str, path: str) -> Reply:
        if "page=3" not in path:
            return account.reply(method, path)
        reads_of_page_3.append(path)
        if len(reads_of_page_3) != 2:  # the first read is the witness' baseline walk
            return account.reply(method, path)
        status, headers, body = account.reply(method, path)
        account.ids.insert(0, "new1")  # after this page was made: the walk's pages agree
        if fault == "HTTP 500":
            return 500, JSON, b'{"errors": [{"code": 1000, "message": "internal"}]}'
        if fault == "text/html":
            return 200, {"Content-Type": "text/html"}, b"<html>busy</html>"
        page = json.loads(body)
        if fault == "total as text":
            page["pagination"]["total"] = str(page["pagination"]["total"])
        else:
            page["pagination"]["links"]["next"] = "http://example.com/v1/audiences?page=4"
        return status, headers, json.dumps(page).encode()

    return reply


@pytest.mark.parametrize(
    ("fault", "rule", "said"),
    [
        ("HTTP 500", "PAGE-04", "received: HTTP 500"),
        ("text/html", "JSON-01", "received: text/html"),
        ("total as text", "PAGE-02", "received: '7'"),
        ("off the target", "PAGE-09", "resolves to http://example.com"),
    ],
)  # fmt: skip
def test_a_fault_no_write_can_cause_is_charged_at_once_beside_proven_writes(
    recording_server: StartServer, fault: str, rule: str, said: str
) -> None:
    """A server error, an answer that is not JSON, a malformed page, a link off the target: the
    server's whatever another client wrote, so evidence of a write never buys them a second try."""
    account = Account([f"a{n}" for n in range(7)])
    target, witness = watched(recording_server(_with_a_fault_beside_a_write(account, fault)))
    tries = []
    with pytest.raises(RuleViolation) as caught:
        decide(
            lambda: tries.append(1) or complete_walk(target)(), witness=witness, pauses=NO_PAUSES
        )
    assert (caught.value.rule, len(tries)) == (rule, 1)
    assert said in str(caught.value)
    assert witness.gather(0), "the write beside the fault was proven"
