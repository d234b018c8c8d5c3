"""Evidence before excuse: a check of the whole account fails at once unless another client's
write is proven (an id appeared, an id gone), on a real server on loopback whose account other
clients change, or that is wrong in ways that vary from read to read."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from recording_server import RecordingServer, Reply

from conformance.checks.account_wide import decide
from conformance.checks.walk_invariants import check_complete
from conformance.checks.walk_model import Query
from conformance.checks.walker import walk
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.evidence import Evidence, Witness
from conformance.http.target import Target
from conformance.verdict.violations import Inconclusive, RuleViolation

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
NO_PAUSES = (0.0, 0.0, 0.0, 0.0)
JSON = {"Content-Type": "application/json"}
PAGE_SIZE = 2
OLD = "2020-01-01 00:00:00"


@dataclass
class Account:
    """An account's audiences served as the contract pages them (by position, page size 2 at
    most), with a get by id; ``wrong`` may rewrite a later page's ids, a fault of the server."""

    ids: list[str]
    wrong: Callable[[int, list[str]], list[str]] | None = None
    total_shift: Callable[[], int] = lambda: 0
    before_page: list[Callable[[int], None]] = field(default_factory=list)

    def audience(self, item: str) -> dict[str, str]:
        """Audiences named ``a...`` are old; any other one was made just now."""
        made = OLD if item.startswith("a") else datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return {"id": item, "create_date": made}

    def reply(self, method: str, path: str) -> Reply:
        url = urlsplit(path)
        if url.path.rstrip("/") != "/v1/audiences":
            found = url.path.rsplit("/", 1)[-1] in self.ids
            body = (
                {"data": self.audience(url.path.rsplit("/", 1)[-1])}
                if found
                else {"errors": [{"code": 1301, "message": "not found"}]}
            )
            return (200 if found else 404), JSON, json.dumps(body).encode()
        query = parse_qs(url.query)
        size = min(int(query.get("page_size", ["2"])[0]), PAGE_SIZE)
        number = int(query.get("page", ["1"])[0])
        for hook in self.before_page:
            hook(number)
        ids = self.ids[(number - 1) * size : number * size]
        if self.wrong is not None and number > 1:
            ids = self.wrong(number, ids)
        last = number * size >= len(self.ids)
        links = {
            "first": f"/v1/audiences?page_size={size}",
            "current": f"/v1/audiences?page_size={size}&page={number}",
            "previous": None
            if number == 1
            else f"/v1/audiences?page_size={size}&page={number - 1}",
            "next": None if last else f"/v1/audiences?page_size={size}&page={number + 1}",
        }
        body = {
            "data": [self.audience(item) for item in ids],
            "pagination": {
                "number": number,
                "size": len(ids),
                "total": len(self.ids) + self.total_shift(),
                "links": links,
            },
        }
        return 200, JSON, json.dumps(body).encode()


def watched(server: RecordingServer, owned: set[str] | None = None) -> tuple[Target, Witness]:
    owns = (owned or set()).__contains__
    witness = Witness(owns)
    target = Target(
        server.url,
        "k-evidence",
        RequestPolicy(origin=Origin.of(server.url), observers=[witness.observe]),
    )
    witness.watch([target])
    return target, witness


def complete_walk(target: Target) -> Callable[[], None]:
    """The check of PAGE-04 a test of the whole account makes: walk at page size 2, complete."""
    return lambda: check_complete(walk(target, Query("/v1/audiences", 2)))


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


def test_an_audience_deleted_by_another_client_is_evidence_when_its_get_answers_404(
    recording_server: StartServer,
) -> None:
    account = Account([f"a{n}" for n in range(6)])
    target, witness = watched(recording_server(account.reply))
    witness.ensure_baseline()
    since = witness.mark()
    walk(target, Query("/v1/audiences", 2), stable=False)
    account.ids.remove("a3")
    assert witness.gather(since) == Evidence(gone=("a3",))


def test_an_id_that_is_gone_and_comes_back_proves_the_server_wrong_not_a_writer(
    recording_server: StartServer,
) -> None:
    account = Account([f"a{n}" for n in range(6)])
    target, witness = watched(recording_server(account.reply))
    witness.ensure_baseline()
    since = witness.mark()
    account.ids.remove("a3")
    target.get("/v1/audiences/a3")  # 404: gone
    account.ids.append("a3")  # ids are never reused: the server hid an audience that exists
    assert not witness.gather(since)


def test_an_audience_older_than_the_baseline_shown_late_was_lost_by_the_baseline_not_made(
    recording_server: StartServer,
) -> None:
    """A server that hides a different item on every walk shows each one "for the first time"
    sooner or later: its create_date, before the baseline began, says it existed all along."""
    account = Account([f"a{n}" for n in range(6)])
    account.ids.remove("a4")
    _, witness = watched(recording_server(account.reply))
    witness.ensure_baseline()
    since = witness.mark()
    account.ids.insert(4, "a4")
    assert not witness.gather(since)


def test_the_runs_own_audiences_are_never_evidence(recording_server: StartServer) -> None:
    account = Account([f"a{n}" for n in range(6)])
    _, witness = watched(recording_server(account.reply), owned={"mine"})
    witness.ensure_baseline()
    since = witness.mark()
    account.ids.insert(0, "mine")
    assert not witness.gather(since)
    account.ids.insert(0, "theirs")
    assert witness.gather(since) == Evidence(appeared=("theirs",))


def test_ids_seen_before_the_baseline_walk_ended_are_not_new(recording_server: StartServer) -> None:
    """The first walk of an account is what later reads are compared with: its ids never appear."""
    account = Account([f"a{n}" for n in range(6)])
    _, witness = watched(recording_server(account.reply))
    since = witness.mark()
    witness.ensure_baseline()
    assert not witness.since(since)


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
    with pytest.raises(Inconclusive, match="PAGE-06, PAGE-04"):
        decide(lambda: group(True), witness=witness, pauses=NO_PAUSES)


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


def test_an_audience_known_only_from_earlier_reads_and_deleted_meanwhile_is_evidence(
    recording_server: StartServer,
) -> None:
    """The failing try read one page; the audience another client deleted was on none it read
    (a total that dropped between pages). The run knew it from earlier: asked for, it is gone."""
    account = Account([f"a{n}" for n in range(6)])
    target, witness = watched(recording_server(account.reply))
    witness.ensure_baseline()
    since = witness.mark()
    walk(target, Query("/v1/audiences", 2), stable=False, max_pages=1)
    account.ids.remove("a5")
    assert witness.gather(since) == Evidence(gone=("a5",))


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
