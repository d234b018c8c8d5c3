"""Requests sent at one moment, to find what a server does when they race (VAL-1309).

A server that checks a name is free and then inserts it, without making the two one step,
lets two racing creates both succeed. Only requests that arrive together can show it: each
is sent from a thread of its own, all released by one :class:`threading.Barrier` once every
thread stands ready, through the run's one request path (:class:`conformance.http.target.Target`
gives each thread a session of its own on the shared adapter).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Self

import requests

from conformance.http.in_flight import Chain, add_round, counting

Send = Callable[[], requests.Response]
READY_TIMEOUT = (
    30.0  # seconds for every thread to reach the start line; a stuck one breaks the barrier
)


class Racers:
    """Threads that send requests together, round after round.

    The threads are kept between rounds, so each keeps its session and its connection, and
    later rounds start from open connections: the requests leave within microseconds.
    """

    def __init__(self, count: int) -> None:
        if count < 2:
            raise ValueError(f"A race needs at least two racers, not {count}.")
        self.count = count
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="racer")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def at_once(self, sends: Sequence[Send]) -> list[requests.Response]:
        """Send ``sends`` at the same moment, one a thread; their responses in the same order.

        An exception of any of them (the run's deadline, a refused write) is raised here,
        after every thread has finished, so that no request is left going on unseen.
        """
        if len(sends) != self.count:
            raise ValueError(f"{len(sends)} requests for {self.count} racers.")
        start = threading.Barrier(self.count)
        chains = [Chain() for _ in sends]

        def on_the_mark(send: Send, chain: Chain) -> requests.Response:
            counting(chain)  # in this racer's own copy of the context
            start.wait(READY_TIMEOUT)
            return send()

        futures = [
            self._pool.submit(contextvars.copy_context().run, on_the_mark, send, chain)
            for send, chain in zip(sends, chains, strict=True)
        ]
        errors = [
            error for error in (future.exception() for future in futures) if error is not None
        ]
        add_round(chains)  # one round of the test's dependent chain, however many raced
        if errors:
            raise errors[0]
        return [future.result() for future in futures]
