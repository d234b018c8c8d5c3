"""Evidence in time: a write excuses a failure only if it can have come before the failure and
after the reads the try relies on. An id gone and listed again was never deleted; an audience
made after the failure caused nothing; a walk kept from an earlier test makes the try's reads as
old as that walk, so a write since then is evidence for it."""

from __future__ import annotations

import pytest
from paged_account import NO_PAUSES, Account, StartServer, complete_walk, in_seconds, watched
from recording_server import Reply

from conformance.checks.account_wide import decide
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_model import Query
from conformance.verdict.violations import RuleViolation, check


def test_an_audience_that_answered_404_and_is_listed_again_excused_nothing(
    recording_server: StartServer,
) -> None:
    """A replica that loses an audience for a moment: left out of the list (the walk falls
    short of its total) and 404 to a get, then back. Ids are never reused, so it was never
    deleted: the try it seemed to excuse failed on the server's word, and the failure stands
    even though the next try passed."""
    account = Account([f"a{n}" for n in range(6)])
    reads_of_page_1 = []

    def lose_a3_for_a_moment(number: int) -> None:
        if number == 1:
            reads_of_page_1.append(number)
            if len(reads_of_page_1) == 2:  # the check's first walk (the first is the baseline)
                account.ids.remove("a3")
                account.total_shift = lambda: 1

    def reply(method: str, path: str) -> Reply:
        answer = account.reply(method, path)
        if path.endswith("/a3") and answer[0] == 404:  # the 404 is out: a3 is back
            account.ids.insert(3, "a3")
            account.total_shift = lambda: 0
        return answer

    account.before_page.append(lose_a3_for_a_moment)
    target, witness = watched(recording_server(reply))
    tries = []
    with pytest.raises(RuleViolation) as caught:
        decide(
            lambda: tries.append(1) or complete_walk(target)(), witness=witness, pauses=NO_PAUSES
        )
    assert (caught.value.rule, len(tries)) == ("PAGE-04", 2)
    assert "a3 answered 404, then was listed again" in "\n".join(caught.value.__notes__)


def test_a_write_after_the_failure_excuses_nothing(recording_server: StartServer) -> None:
    """A total wrong once, then another client's audience, made seconds after the failure: the
    look after the failure finds it, but a write that came later caused nothing. The failure
    stands, though a second try would pass."""
    shifts = iter([0, 0, 0, 2])  # the baseline walk's three pages, then the check's first page
    account = Account([f"a{n}" for n in range(6)], total_shift=lambda: next(shifts, 0))
    reads_of_page_1 = []

    def another_client_writes_later(number: int) -> None:
        if number == 1:
            reads_of_page_1.append(number)
            if len(reads_of_page_1) == 3:  # the look after the check's failure
                account.ids.insert(0, "late")
                account.ids.dates["late"] = in_seconds(3)  # type: ignore[attr-defined]

    account.before_page.append(another_client_writes_later)
    target, witness = watched(recording_server(account.reply))
    tries = []
    with pytest.raises(RuleViolation, match="PAGE-04"):
        decide(
            lambda: tries.append(1) or complete_walk(target)(), witness=witness, pauses=NO_PAUSES
        )
    assert len(tries) == 1
    assert "late" in witness.gather(0).appeared, "the later write was seen"


def test_a_kept_walk_made_stale_before_the_try_is_excused_by_the_write_since_that_walk(
    recording_server: StartServer,
) -> None:
    """A walk kept from an earlier test, then another client's audience (seen by a read before
    the try began), then a try that compares the kept walk's total with the total now: the
    try relies on a read older than itself, so the write since that read is its evidence, and
    the next try, on walks made anew, decides."""
    account = Account([f"a{n}" for n in range(6)])
    target, witness = watched(recording_server(account.reply))
    walks = Walks(budget=50, own_items=0, witness=witness)
    witness.ensure_baseline()
    walks.complete(target, Query("/v1/audiences", 2))
    account.ids.insert(0, "new1")
    target.get("/v1/audiences", params={"page_size": "2"})  # another test's read shows it
    tries = []

    def totals_agree() -> None:
        tries.append(1)
        with walks.fresh_on_failure():
            total = walks.kept_total(target, Query("/v1/audiences", 1))
            walked = walks.complete(target, Query("/v1/audiences", 2))
            check(
                walked.total == total, "PAGE-02", expected=f"total {total}", received=walked.total
            )

    decide(totals_agree, witness=witness, pauses=NO_PAUSES)
    assert len(tries) == 2
