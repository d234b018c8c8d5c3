"""Walks reused by the properties that walk the same query, and the page sizes walked to the end.

Several properties (and several examples of one) walk the same query: the unfiltered list at
page size 100, each channel at the size :func:`~conformance.checks.walk_bounds.plan` picks on a large
account. A complete walk (or the prefix a large account allows at a drawn size) is kept and
handed out again while the run has written nothing since (every write the run sends moves a counter at the request path), so what it proves
still holds. A check that fails with a kept walk drops every kept walk (:meth:`Walks.fresh_on_failure`):
the check is tried again (``account_wide``) on walks made anew, so a walk that another
client's writes made stale is never what a failure rests on; the witness is told that the try
relies on reads from the moment the kept walk began, so a write after that walk and before the
try is evidence for it. A kept walk serves only checks
within that walk (completeness, the per-page rules it passed); a check that compares a walk
with pages read later (revisits, the same sequence at two page sizes) asks for ``fresh`` walks,
made just before the comparison, as without reuse. Walks of one test made together that need
the same complete walk (two drawn sizes over budget, both to the end at 100) share one: the
second waits for the first's instead of walking it again.

:class:`Walks` also notes the page sizes each test walked to the end, and why a drawn size
walked only a prefix; the suite writes that as a JUnit property the certificate reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

from conformance.checks.walk_bounds import WalkPlan, plan
from conformance.checks.walk_model import ItemFilter, Query, Walk
from conformance.checks.walker import walk
from conformance.contract.facts import DEFAULT_PAGE_SIZE
from conformance.http.evidence import Witness
from conformance.http.methods import SAFE_METHODS
from conformance.http.target import Target

MAX_KEPT_ITEMS = 200_000  # items held by kept walks: the oldest go first beyond this (flat memory)
Key = tuple[int, Query, tuple[str, ...], str, str, int | None]  # max_pages last: None, to the end


class WriteCounter:
    """Counts the requests that may change data that left the process (a request-path observer).

    Writes may leave from several threads at once (:mod:`conformance.http.in_flight`): a count
    lost between a read and a write would let a stale walk pass for a fresh one, so it is locked."""

    def __init__(self) -> None:
        self.writes = 0
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        if request.method not in SAFE_METHODS:
            with self._lock:
                self.writes += 1


@dataclass
class Planned:
    """A walk at the drawn page size (complete, or a bounded prefix), and a complete walk."""

    plan: WalkPlan
    at_drawn: Walk
    complete: Walk


@dataclass
class Walks:
    """Complete walks kept per account and query, valid until the run writes."""

    budget: int  # requests per walk (the profile's walk_budget)
    own_items: int  # the run's own audiences (the profile's data set size)
    # Per key: the run's write count when the walk was made, the walk, and the witness's moment
    # when it began.
    kept: dict[Key, tuple[int, Walk, int]] = field(default_factory=dict)
    witness: Witness | None = None  # told of each kept walk a check relies on again
    counters: dict[int, WriteCounter] = field(default_factory=dict)
    to_end: set[int] = field(
        default_factory=set
    )  # page sizes walked to the end by the current test
    reasons: set[str] = field(default_factory=set)  # why a drawn size walked only a prefix
    # Walks of one test may be made together (conformance.http.in_flight): what they keep and
    # note is changed under this lock; the walks themselves run outside it.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # Complete walks under way that another caller may wait for, rather than walk again.
    _walking: dict[Key, Future[Walk]] = field(default_factory=dict, repr=False)

    def complete(
        self,
        target: Target,
        query: Query,
        *,
        keep: Sequence[str] = ("channel",),
        matching: ItemFilter | None = None,
        entry_rule: str = "PAGE-04",
        fresh: bool = False,
    ) -> Walk:
        """A complete walk of ``query``: a kept one while the run has not written since (unless
        ``fresh``), else a new one, kept for the next caller."""
        return self._kept_walk(
            target, query, keep=keep, matching=matching, entry_rule=entry_rule, fresh=fresh
        )

    def _kept_walk(
        self,
        target: Target,
        query: Query,
        *,
        keep: Sequence[str],
        matching: ItemFilter | None,
        entry_rule: str,
        fresh: bool,
        max_pages: int | None = None,
    ) -> Walk:
        """A walk of ``query`` (its first ``max_pages`` pages, or all): a kept one while the run
        has not written since (unless ``fresh``), else a new one, kept for the next caller."""
        counter = self._counter(target)
        key = (
            id(target),
            query,
            tuple(keep),
            matching.wanted if matching else "",
            f"{entry_rule}/{matching.first_page_rule if matching else ''}",
            max_pages,
        )
        with self._lock:
            kept = self.kept.get(key)
            if kept is not None and kept[0] == counter.writes and not fresh:
                if self.witness is not None:
                    self.witness.reused(kept[2])
                self._note(kept[1])
                return kept[1]
            under_way = None if fresh else self._walking.get(key)
            mine: Future[Walk] | None = None
            if under_way is None and not fresh:
                mine = self._walking[key] = Future()
        if under_way is not None:
            walked = under_way.result()  # its failure too: the same walk, the same finding
            self._note(walked)
            return walked
        began = self.witness.mark() if self.witness is not None else 0
        try:
            walked = walk(
                target,
                query,
                keep=keep,
                matching=matching,
                entry_rule=entry_rule,
                max_pages=max_pages,
            )
        except BaseException as error:
            if mine is not None:
                with self._lock:
                    del self._walking[key]
                mine.set_exception(error)
            raise
        with self._lock:
            if mine is not None:
                del self._walking[key]
                mine.set_result(walked)
            self.kept.pop(key, None)
            while (
                self.kept
                and sum(kept.count for _, kept, _ in self.kept.values()) + walked.count
                > MAX_KEPT_ITEMS
            ):
                del self.kept[next(iter(self.kept))]  # dicts keep insertion order: the oldest first
            self.kept[key] = (counter.writes, walked, began)
            self._note(walked)
        return walked

    def planned(
        self,
        target: Target,
        query: Query,
        *,
        keep: Sequence[str] = ("channel",),
        matching: ItemFilter | None = None,
        entry_rule: str = "PAGE-04",
        fresh: bool = False,
    ) -> Planned:
        """``query`` at its drawn size, to the end when the budget allows it, else a prefix at the
        drawn size and a complete walk at the size :func:`~conformance.checks.walk_bounds.plan` picks
        (``fresh``: the walk at the drawn size is made now; a complete walk at a larger size may be
        a kept one, for completeness only)."""
        total = self.total(target, query, entry_rule)
        chosen = plan(total, query.page_size, budget=self.budget, own_items=self.own_items)
        if not chosen.bounded:
            walked = self.complete(
                target, query, keep=keep, matching=matching, entry_rule=entry_rule, fresh=fresh
            )
            return Planned(chosen, walked, walked)
        larger = Query(query.path, chosen.to_end, query.filters)
        # The prefix at the drawn size and the complete walk at a larger one need nothing of
        # each other: they are walked together. A prefix is kept as a complete walk is.
        prefix, complete = target.all_together(
            [
                lambda: self._kept_walk(
                    target,
                    query,
                    keep=keep,
                    matching=matching,
                    entry_rule=entry_rule,
                    fresh=fresh,
                    max_pages=chosen.prefix_pages,
                ),
                lambda: self.complete(
                    target, larger, keep=keep, matching=matching, entry_rule=entry_rule
                ),
            ],
        )
        if (
            prefix.complete
        ):  # the collection shrank meanwhile: the drawn size reached the end after all
            return Planned(chosen, prefix, prefix)
        with self._lock:
            self.reasons.add(
                f"a walk over {self.budget} requests, or over twice the pages the run's own audiences fill, goes to the end at a larger size"
            )
        return Planned(chosen, prefix, complete)

    def bounded(
        self,
        target: Target,
        query: Query,
        *,
        keep: Sequence[str] = ("channel",),
        matching: ItemFilter | None = None,
        entry_rule: str = "PAGE-04",
    ) -> Walk:
        """``query`` at its drawn size, made now: to the end when the budget allows it, else the
        prefix :func:`~conformance.checks.walk_bounds.plan` allows; for checks a prefix can make."""
        chosen = plan(
            self.total(target, query, entry_rule),
            query.page_size,
            budget=self.budget,
            own_items=self.own_items,
        )
        if not chosen.bounded:
            return self.complete(
                target, query, keep=keep, matching=matching, entry_rule=entry_rule, fresh=True
            )
        return walk(
            target,
            query,
            keep=keep,
            matching=matching,
            entry_rule=entry_rule,
            max_pages=chosen.prefix_pages,
        )

    def total(self, target: Target, query: Query, entry_rule: str = "PAGE-04") -> int:
        """The total a query's first page announces: one page at size 1, every rule of a first page checked."""
        return walk(
            target, Query(query.path, 1, query.filters), entry_rule=entry_rule, max_pages=1
        ).total

    def kept_total(self, target: Target, query: Query, entry_rule: str = "PAGE-04") -> int:
        """:meth:`total`, asked again only once the run has written since: the first page at
        size 1 is kept as a walk's prefix is, for a test that compares every example's walks
        with it."""
        return self._kept_walk(
            target,
            Query(query.path, 1, query.filters),
            keep=(),
            matching=None,
            entry_rule=entry_rule,
            fresh=False,
            max_pages=1,
        ).total

    @contextmanager
    def fresh_on_failure(self) -> Iterator[None]:
        """Drop every kept walk when a check inside fails: a retry walks anew."""
        try:
            yield
        except BaseException:
            self.kept.clear()
            raise

    def start_test(self) -> None:
        self.to_end.clear()
        self.reasons.clear()

    def walked_to_end(self) -> str:
        """The current test's page sizes walked to the end, and why smaller ones walked prefixes."""
        if not self.to_end:
            return ""
        text = "page sizes " + ", ".join(str(size) for size in sorted(self.to_end))
        return text + (
            f"; smaller sizes walked prefixes only: {'; '.join(sorted(self.reasons))}"
            if self.reasons
            else ""
        )

    def _note(self, walked: Walk) -> None:
        """A page size the current test walked to the end (a prefix cut short notes none)."""
        if not walked.complete:
            return
        size = walked.query.page_size
        with self._lock:
            self.to_end.add(DEFAULT_PAGE_SIZE if size is None else size)

    def _counter(self, target: Target) -> WriteCounter:
        counter = self.counters.get(id(target.policy))
        if counter is None:
            counter = self.counters[id(target.policy)] = WriteCounter()
            target.policy.observers.append(counter)
        return counter
