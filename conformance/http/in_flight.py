"""Independent requests in flight together, and the length of the chain that must wait.

Across a network a run waits for answers far longer than it computes. Hypothesis draws one
example after another; within an example, requests that need nothing of each other's answers
(a batch of creates, the deletes of a cleanup, revisits of pages already walked) are sent
together by :meth:`InFlight.map`, over a pool of ``--concurrency`` threads. Each goes through
the one request path (:class:`conformance.http.target.Target` gives each thread a session of
its own on the shared adapter), so every safety rule applies unchanged, and the run's
connection slots keep its requests in flight within ``--concurrency``
(:mod:`conformance.http.connection_slots`).

A batch may hold batches: walks made side by side each send the writes between their pages, or
revisit their pages, together. Those go to a second pool, so the thread that waits for them
never waits for a thread it holds; a batch deeper still runs in its thread, one call after
another.

Answers come back in the order they were asked for, and the first failure in that order is
raised once every request has finished: a verdict never depends on which thread ran first, and
no request is left going on unseen.

:class:`Chain` counts what bounds a run across a network: its dependent chain, in requests.
A request sent on its own adds one; a batch sent together adds the longest chain among its
members. At 50 ms per answer, a chain of N requests cannot take less than N x 50 ms.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class Chain:
    """Requests that had to wait for each other, counted as they leave; and the writes among
    all the requests (a test that sends none can run beside one that needs a quiet account)."""

    length: int = 0
    writes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, requests: int = 1, writes: int = 0) -> None:
        with self._lock:
            self.length += requests
            self.writes += writes


_CHAIN: contextvars.ContextVar[Chain | None] = contextvars.ContextVar("chain", default=None)
# How many batches the current call is inside (0: none); each depth below LEVELS has a pool.
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("batch_depth", default=0)
LEVELS = 2  # a batch, and a batch inside it


def count_request(write: bool = False) -> None:
    """Called by the request path for every request that leaves (retries included); ``write``
    when its method may change data."""
    chain = _CHAIN.get()
    if chain is not None:
        chain.add(1, int(write))


def counting(chain: Chain | None) -> contextvars.Token[Chain | None]:
    """Count this context's requests into ``chain`` (None: stop counting); reset with :func:`stop_counting`."""
    return _CHAIN.set(chain)


def stop_counting(token: contextvars.Token[Chain | None]) -> None:
    _CHAIN.reset(token)


def add_round(chains: Iterable[Chain]) -> None:
    """Requests that left together from threads of their own (a batch, a race's round): the
    longest of their chains counts."""
    chain = _CHAIN.get()
    if chain is not None:
        members = list(chains)
        chain.add(
            max((member.length for member in members), default=0),
            sum(member.writes for member in members),
        )


class InFlight:
    """A bounded pool that sends the independent requests of one step together."""

    def __init__(self, concurrency: int = 1) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.concurrency = concurrency
        self._pools: list[ThreadPoolExecutor | None] = [None] * LEVELS
        self._lock = threading.Lock()

    def map(self, call: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
        """``call`` on every item, up to ``concurrency`` at once; results in the items' order.

        An item leaves as soon as ``items`` yields it: a generator that draws each item (an
        example's faulty bodies) overlaps its drawing with the answers already awaited. One
        item, a concurrency of 1, or a call made from inside two batches already runs here, one
        after another."""
        depth = _DEPTH.get()
        if self.concurrency == 1 or depth >= LEVELS:
            return [call(item) for item in items]
        coming = iter(items)
        first_two = list(itertools.islice(coming, 2))  # two at least, or the one runs here
        if len(first_two) <= 1:
            return [call(item) for item in first_two]
        pool = self._pool_now(depth)
        chains: list[Chain] = []
        futures: list[Future[Result]] = []

        def run(item: Item, chain: Chain) -> Result:
            _DEPTH.set(depth + 1)
            _CHAIN.set(chain)
            return call(item)

        try:
            for item in itertools.chain(first_two, coming):
                chains.append(Chain())
                futures.append(pool.submit(contextvars.copy_context().run, run, item, chains[-1]))
            errors = [error for error in (future.exception() for future in futures) if error]
        except BaseException:
            # Stopped while waiting (a signal, the budget's alarm), or the items failed to come:
            # what has not left stays here, and what is on the wire ends before the stop goes
            # on, so no thread of the run still works while the run reports its end.
            for future in futures:
                future.cancel()
            wait(futures)
            raise
        add_round(chains)
        # A stop (a signal, the budget: not an Exception) wins over any failure, so the run ends;
        # otherwise the first failure in the order asked.
        stops = [error for error in errors if not isinstance(error, Exception)]
        if stops or errors:
            raise (stops or errors)[0]
        return [future.result() for future in futures]

    def each(self, calls: Iterable[Callable[[], Result]]) -> list[Result]:
        """Every call of ``calls`` together; their results in order."""
        return self.map(lambda call: call(), calls)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = self._pools, [None] * LEVELS
        for pool in pools:  # the outer first: its calls wait for the inner pool's
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _pool_now(self, depth: int) -> ThreadPoolExecutor:
        """The pool of batches made at ``depth``: a thread waiting for a batch it made never
        holds a thread of the pool that batch needs."""
        with self._lock:
            pool = self._pools[depth]
            if pool is None:
                pool = self._pools[depth] = ThreadPoolExecutor(
                    max_workers=self.concurrency, thread_name_prefix=f"in-flight-{depth}"
                )
            return pool
