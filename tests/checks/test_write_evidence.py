"""What the witness counts as another client's write: an id that appeared (not the run's own,
not one the baseline walk already held or that existed before it) or an id now gone (its get
answers 404, and it never comes back)."""

from __future__ import annotations

from paged_account import Account, StartServer, in_seconds, watched

from conformance.checks.walk_model import Query
from conformance.checks.walker import walk
from conformance.http.evidence import Evidence, Witness


def _six() -> Account:
    return Account([f"a{n}" for n in range(6)])


def _from_baseline(witness: Witness) -> int:
    """The witness's baseline walk, then the mark later evidence is gathered from."""
    witness.ensure_baseline()
    return witness.mark()


def test_an_audience_deleted_by_another_client_is_evidence_when_its_get_answers_404(
    recording_server: StartServer,
) -> None:
    account = _six()
    target, witness = watched(recording_server(account.reply))
    since = _from_baseline(witness)
    walk(target, Query("/v1/audiences", 2), stable=False)
    account.ids.remove("a3")
    assert witness.gather(since) == Evidence(gone=("a3",))


def test_an_id_that_is_gone_and_comes_back_proves_the_server_wrong_not_a_writer(
    recording_server: StartServer,
) -> None:
    account = _six()
    target, witness = watched(recording_server(account.reply))
    since = _from_baseline(witness)
    account.ids.remove("a3")
    target.get("/v1/audiences/a3")  # 404: gone
    account.ids.append("a3")  # ids are never reused: the server hid an audience that exists
    assert not witness.gather(since)


def test_an_audience_older_than_the_baseline_shown_late_was_lost_by_the_baseline_not_made(
    recording_server: StartServer,
) -> None:
    """A server that hides a different item on every walk shows each one "for the first time"
    sooner or later: its create_date, before the baseline began, says it existed all along."""
    account = _six()
    account.ids.remove("a4")
    _, witness = watched(recording_server(account.reply))
    since = _from_baseline(witness)
    account.ids.insert(4, "a4")
    assert not witness.gather(since)


def test_the_runs_own_audiences_are_never_evidence(recording_server: StartServer) -> None:
    account = _six()
    _, witness = watched(recording_server(account.reply), owned={"mine"})
    since = _from_baseline(witness)
    account.ids.insert(0, "mine")
    assert not witness.gather(since)
    account.ids.insert(0, "theirs")
    assert witness.gather(since) == Evidence(appeared=("theirs",))


def test_ids_seen_before_the_baseline_walk_ended_are_not_new(recording_server: StartServer) -> None:
    """The first walk of an account is what later reads are compared with: its ids never appear."""
    account = _six()
    _, witness = watched(recording_server(account.reply))
    since = witness.mark()
    witness.ensure_baseline()
    assert not witness.since(since)


def test_an_audience_known_only_from_earlier_reads_and_deleted_meanwhile_is_evidence(
    recording_server: StartServer,
) -> None:
    """The failing try read one page; the audience another client deleted was on none it read
    (a total that dropped between pages). The run knew it from earlier: asked for, it is gone."""
    account = _six()
    target, witness = watched(recording_server(account.reply))
    since = _from_baseline(witness)
    walk(target, Query("/v1/audiences", 2), stable=False, max_pages=1)
    account.ids.remove("a5")
    assert witness.gather(since) == Evidence(gone=("a5",))


def test_an_audience_made_after_the_failure_is_no_evidence_for_it(
    recording_server: StartServer,
) -> None:
    """Found by the look after the failure, but its create_date is seconds past the failure's
    last answer (one second allowed for a proxy's clock): written after, it caused nothing."""
    account = _six()
    _, witness = watched(recording_server(account.reply))
    since = _from_baseline(witness)
    failed = witness.mark()
    account.ids.insert(0, "late")
    account.ids.dates["late"] = in_seconds(3)  # type: ignore[attr-defined]
    account.ids.insert(0, "meanwhile")  # made in the failure's second: it may have come first
    assert witness.gather(since, failed) == Evidence(appeared=("meanwhile",))


def test_an_audience_shown_after_the_failure_and_gone_since_is_no_evidence_for_it(
    recording_server: StartServer,
) -> None:
    account = _six()
    target, witness = watched(recording_server(account.reply))
    since = _from_baseline(witness)
    failed = witness.mark()
    walk(target, Query("/v1/audiences", 2), stable=False)  # shows a5 after the failure
    account.ids.remove("a5")
    assert not witness.gather(since, failed)
    assert witness.gather(since) == Evidence(gone=("a5",))
