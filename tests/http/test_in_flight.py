"""Requests in flight together: bounded, in order, through the one request path, counted as a chain."""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from recording_server import RecordingServer, Reply
from transport_targets import target_for

from conformance.errors import ReadOnlyViolation
from conformance.http.in_flight import Chain, InFlight, counting, stop_counting
from conformance.http.target import Target
from conformance.http.transport import Transport

ANSWER_SECONDS = 0.15  # long enough that requests sent together are at the server together
GATHER_SECONDS = 5.0  # how long an answer waits for the others sent with it, at most


class Peak:
    """How many requests the server was answering at once, at most.

    With ``gather``, an answer waits until that many requests have been at the server at once
    (or :data:`GATHER_SECONDS` passed) before its own time: requests sent together meet there
    however slowly a loaded machine starts their threads, and requests sent one after another
    never do."""

    def __init__(self, gather: int = 0) -> None:
        self.now = 0
        self.most = 0
        self.gather = gather
        self._changed = threading.Condition()

    def reply(self, method: str, path: str) -> Reply:
        with self._changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.most >= self.gather, timeout=GATHER_SECONDS)
        time.sleep(ANSWER_SECONDS)
        with self._changed:
            self.now -= 1
        return 200, {"Content-Type": "application/json"}, b"{}"


Start = Callable[[Callable[[str, str], Reply]], RecordingServer]


def _target(
    start: Start, concurrency: int, gather: int = 0, **policy: object
) -> tuple[Target, Peak, RecordingServer]:
    peak = Peak(gather)
    server = start(peak.reply)
    target = target_for(server.url, Transport(), in_flight=InFlight(concurrency), **policy)
    return target, peak, server


def test_requests_sent_together_never_exceed_the_concurrency(recording_server: Start) -> None:
    target, peak, server = _target(recording_server, 3, gather=3)
    answers = target.together(lambda n: target.get(f"/v1/audiences/{n}").status_code, range(9))
    assert answers == [200] * 9
    assert len(server.seen) == 9
    assert peak.most == 3  # together, and never more than the pool


def test_a_concurrency_of_one_sends_one_after_another(recording_server: Start) -> None:
    target, peak, _ = _target(recording_server, 1)
    target.together(lambda n: target.get(f"/v1/audiences/{n}"), range(4))
    assert peak.most == 1


def test_results_come_back_in_the_order_asked(recording_server: Start) -> None:
    target, _, _ = _target(recording_server, 4)
    paths = target.together(
        lambda n: target.get(f"/v1/audiences/{n}").url.rsplit("/", 1)[1], range(8)
    )
    assert paths == [str(n) for n in range(8)]


def test_the_first_failure_in_order_is_raised_after_every_request_ended(
    recording_server: Start,
) -> None:
    target, _, server = _target(recording_server, 4)

    def send(n: int) -> int:
        target.get(f"/v1/audiences/{n}")
        if n in (5, 2):
            raise ValueError(f"failed {n}")
        return n

    with pytest.raises(ValueError, match="failed 2"):
        target.together(send, range(8))
    assert len(server.seen) == 8  # none left going on unseen


def test_each_item_leaves_as_soon_as_it_is_drawn(recording_server: Start) -> None:
    """An example's bodies drawn one by one: the first are on the wire while the last is drawn."""
    target, _, server = _target(recording_server, 4)
    answered_before_the_last: list[bool] = []

    def drawn() -> Iterator[int]:
        yield from (0, 1)
        deadline = time.monotonic() + 5
        while not server.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        answered_before_the_last.append(bool(server.seen))
        yield 2

    paths = target.together(
        lambda n: target.get(f"/v1/audiences/{n}").url.rsplit("/", 1)[1], drawn()
    )
    assert paths == ["0", "1", "2"]
    assert answered_before_the_last == [True]


def test_items_that_fail_to_come_leave_nothing_in_flight(recording_server: Start) -> None:
    """A draw that fails (Hypothesis ends an example mid-draw) ends the batch once what left has ended."""
    target, _, server = _target(recording_server, 4)

    def drawn() -> Iterator[int]:
        yield from (0, 1)
        raise LookupError("the draw failed")

    with pytest.raises(LookupError, match="the draw failed"):
        target.together(lambda n: target.get(f"/v1/audiences/{n}"), drawn())
    assert len(server.seen) == 2  # both answered before the failure went on


def test_a_batch_inside_a_batch_goes_out_together_too(recording_server: Start) -> None:
    """Walks side by side each send their own batches: those leave together as well."""
    target, peak, server = _target(recording_server, 4, gather=4)
    nested = target.together(
        lambda n: target.together(
            lambda m: target.get(f"/v1/audiences/{n}-{m}").status_code, range(2)
        ),
        range(2),
    )
    assert nested == [[200] * 2] * 2
    assert len(server.seen) == 4
    assert peak.most == 4  # one after another inside each outer call, it was 2


def test_a_batch_three_deep_runs_in_its_thread(recording_server: Start) -> None:
    """No thread waits for a pool whose threads all wait for it: the third level runs in place."""
    target, peak, server = _target(recording_server, 2, gather=2)
    nested = target.together(
        lambda n: target.together(
            lambda m: target.together(
                lambda k: target.get(f"/v1/audiences/{n}-{m}-{k}").status_code, range(2)
            ),
            range(2),
        ),
        range(2),
    )
    assert nested == [[[200] * 2] * 2] * 2
    assert len(server.seen) == 8
    assert peak.most == 2  # the second pool's two threads, each sending its batch in turn


def test_the_safety_rules_hold_for_requests_sent_together(recording_server: Start) -> None:
    target, _, server = _target(recording_server, 4, read_only=True)
    with pytest.raises(ReadOnlyViolation):
        target.together(lambda n: target.delete(f"/v1/audiences/{n}"), range(3))
    assert server.seen == []


def test_a_batch_adds_its_longest_member_to_the_chain(recording_server: Start) -> None:
    target, _, _ = _target(recording_server, 4)
    chain = Chain()
    token = counting(chain)
    try:
        target.get("/v1/audiences")  # 1
        target.together(lambda n: target.get(f"/v1/audiences/{n}"), range(4))  # 1 more
        target.together(
            lambda n: [target.get(f"/v1/audiences/{n}/{m}") for m in range(n + 1)], range(3)
        )  # the longest member: 3
    finally:
        stop_counting(token)
    assert chain.length == 5
    assert chain.writes == 0


def test_the_chain_counts_every_write_sent_alone_or_together(recording_server: Start) -> None:
    target, _, _ = _target(recording_server, 4)
    chain = Chain()
    token = counting(chain)
    try:
        target.get("/v1/audiences")
        target.delete("/v1/audiences/a")
        target.together(lambda n: target.delete(f"/v1/audiences/{n}"), range(3))
    finally:
        stop_counting(token)
    assert (chain.length, chain.writes) == (3, 4)


def test_a_stop_while_waiting_leaves_nothing_in_flight(recording_server: Start) -> None:
    """A signal in the waiting thread (Ctrl-C, the budget's alarm): the requests not yet sent
    stay unsent, and those on the wire have ended when the stop goes on."""
    target, peak, server = _target(recording_server, 2, gather=2)
    waiting = threading.get_ident()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def stop_once_two_are_on_the_wire() -> None:
        deadline = time.monotonic() + GATHER_SECONDS
        while peak.most < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        signal.pthread_kill(waiting, signal.SIGALRM)

    previous = signal.signal(signal.SIGALRM, stop)
    stopper = threading.Thread(target=stop_once_two_are_on_the_wire)
    try:
        stopper.start()
        with pytest.raises(KeyboardInterrupt):
            target.together(lambda n: target.get(f"/v1/audiences/{n}"), range(6))
        in_flight_after = peak.now
    finally:
        stopper.join()
        signal.signal(signal.SIGALRM, previous)
    assert in_flight_after == 0
    assert len(server.seen) == 2  # the two on the wire when it stopped; the other four never left


def test_a_race_round_adds_one_to_the_chain(recording_server: Start) -> None:
    """Racing requests leave together: each round is one step of the chain, not one per racer."""
    from conformance.checks.simultaneous import Racers

    target, _, server = _target(recording_server, 4)
    chain = Chain()
    token = counting(chain)
    try:
        with Racers(3) as racers:
            for _ in range(2):
                racers.at_once([lambda: target.get("/v1/audiences")] * 3)
    finally:
        stop_counting(token)
    assert len(server.seen) == 6
    assert chain.length == 2


def test_a_throttle_met_by_requests_in_flight_together_is_waited_out(
    recording_server: Start,
) -> None:
    """Every 7th request answers 429 with Retry-After 0 (a legal server): requests sent 8 at a
    time retry apart, not straight back into the same burst, so each one ends in its answer."""
    numbers = itertools.count(1)
    lock = threading.Lock()

    def every_seventh_throttled(method: str, path: str) -> Reply:
        with lock:
            number = next(numbers)
        time.sleep(0.002)
        if number % 7 == 0:
            return 429, {"Retry-After": "0"}, b"{}"
        return 200, {"Content-Type": "application/json"}, b"{}"

    server = recording_server(every_seventh_throttled)
    target = target_for(server.url, Transport(), in_flight=InFlight(8))
    answers = target.together(lambda n: target.get(f"/v1/audiences/{n}").status_code, range(600))
    assert answers == [200] * 600
    assert len(server.seen) > 600  # the throttled ones were tried again
