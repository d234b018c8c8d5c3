"""Evidence of other clients' writes: what the run has seen of each account, and what is there now.

A check that reads the whole account (a walk held to its total, channel totals that add up)
holds "with no writes in between". On a shared account another client may write meanwhile,
and only evidence of such a write excuses the check's failure. Two reads that disagree prove
nothing: a server that is wrong some of the time disagrees with itself too.

Evidence is an id, named:

- **appeared**: an id that no read of this run had seen, and that this process did not create,
  shows up after the account's first complete walk (the baseline), with a ``create_date`` no
  earlier than the second that walk began by the server's clock (older, it existed then: the
  baseline lost it, which is the server's fault, no evidence);
- **gone**: an id that a read had shown now answers ``404`` to a get.

A write after the check failed cannot have caused the failure: an id made after the second of
the failure's last answer (by the server's clock, with one second for a proxy's clock beside
the application's), or shown after the failure and gone since, is no evidence for it. The
window opens when this run first saw the id, not at the ``create_date``: walks kept from
earlier tests make a try's reads older than the try.

Ids are never reused, so an id that was gone and shows up again proves the server wrong: it
is no evidence. The :class:`Witness` learns from every response on the request path (it is
an observer, like the ledger), and, when a check fails, looks once more (:meth:`Witness.gather`):
a walk of each account, and a get of the ids it no longer lists.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests

from conformance.contract.facts import AUDIENCES_PATH, KEY_HEADER
from conformance.http.target import Target
from conformance.http.witness_reads import (
    ask_for,
    clock_of,
    create_date_of,
    items_in,
    made_after,
    walk_list,
)

GETS_PER_GATHER = 10  # ids missing from the looking walk that are asked for by id
SHOWN = 5
LOOK_SECONDS = 2.0  # how long the accounts are walked again when a walk showed no write
CLOCKS_APART = timedelta(seconds=1)  # a proxy's Date beside the application's create_date
_ITEM_PATH = re.compile(re.escape(AUDIENCES_PATH) + r"/([^/]+)/?$")


@dataclass(frozen=True)
class Evidence:
    """The writes of other clients seen in a stretch of time, as ids (empty: none proven)."""

    appeared: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.appeared or self.gone)

    def describe(self) -> str:
        parts = []
        if self.appeared:
            parts.append(
                f"{len(self.appeared)} audience(s) no read had seen appeared ({_ids(self.appeared)})"
            )
        if self.gone:
            parts.append(
                f"{len(self.gone)} audience(s) seen earlier now answer 404 ({_ids(self.gone)})"
            )
        return "; ".join(parts) or "no write of another client seen"


NO_EVIDENCE = Evidence()


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(repr(item) for item in ids[:SHOWN])
    return shown + (", ..." if len(ids) > SHOWN else "")


@dataclass
class _Account:
    """What the run has seen of one account (one key)."""

    first_seen: dict[str, int] = field(default_factory=dict)  # id -> the moment it was first shown
    last_seen: dict[str, int] = field(default_factory=dict)
    gone: dict[str, int] = field(default_factory=dict)  # id -> the moment a get answered 404
    back: set[str] = field(
        default_factory=set
    )  # gone, then shown again: the server's fault, no evidence
    created: dict[str, object] = field(
        default_factory=dict
    )  # id -> its create_date as first shown (read only when needed)
    baseline_end: int | None = None  # the moment the first complete walk ended
    baseline_began: datetime | None = (
        None  # the server's clock (its Date header) when that walk began
    )


class Witness:
    """Every id each account showed, and when: the run's memory for telling a busy account from a wrong server.

    Moments are a counter of the responses observed, so "before" and "after" follow the order
    in which answers arrived, whatever the clocks say."""

    def __init__(self, owns: Callable[[str], bool]) -> None:
        self._created_here = owns
        self._accounts: dict[str, _Account] = {}
        self._targets: dict[str, Target] = {}
        self._moments = itertools.count(1)
        self._now = 0
        self._lock = threading.Lock()
        self._looked_in_vain = False
        self._explained: set[str] = set()
        self._dates: list[tuple[int, str]] = []  # (moment, Date header) where the header changed
        self._oldest_reused: int | None = None  # the earliest kept read the current try relies on

    def watch(self, targets: Sequence[Target]) -> None:
        """The accounts to look at when a check fails (the run's keys)."""
        for target in targets:
            self._targets[target.api_key] = target

    def _owns(self, item: str) -> bool:
        """The run's own doing: created by this process, or accounted for by a check (under the lock)."""
        return self._created_here(item) or item in self._explained

    def account_for(self, ids: Iterable[str]) -> None:
        """Ids a check has found to be the server's own doing (an audience a refused create left
        behind): never evidence of another client's write."""
        with self._lock:
            self._explained.update(ids)

    def mark(self) -> int:
        """The current moment: evidence is asked for since such a mark."""
        with self._lock:
            return self._now

    def begin_try(self) -> int:
        """A try of a check starts: the mark its evidence counts from, unless it relies on reads
        made earlier (:meth:`reused`)."""
        with self._lock:
            self._oldest_reused = None
            return self._now

    def reused(self, moment: int) -> None:
        """The current try relies on reads made from ``moment`` (a walk kept from earlier): a
        write since then may have made them stale."""
        with self._lock:
            if self._oldest_reused is None or moment < self._oldest_reused:
                self._oldest_reused = moment

    def try_began(self, mark: int) -> int:
        """Where the evidence of a try begun at ``mark`` counts from: its oldest read."""
        with self._lock:
            return mark if self._oldest_reused is None else min(mark, self._oldest_reused)

    def observe(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        """Response observer: note the ids an answer shows, and the gets of known ids that answer 404."""
        if request.method not in ("GET", "PUT") or response.status_code not in (200, 404):
            return
        key = str(request.headers.get(KEY_HEADER, ""))
        path = urlsplit(request.url or "").path.rstrip("/")
        item = _ITEM_PATH.search(path)
        if item is None and not path.endswith(AUDIENCES_PATH):
            return
        date = response.headers.get("Date", "")
        with self._lock:
            self._now = moment = next(self._moments)
            if date and (not self._dates or self._dates[-1][1] != date):
                self._dates.append((moment, date))
            account = self._accounts.setdefault(key, _Account())
            if response.status_code == 404:
                if (
                    item is not None
                    and request.method == "GET"
                    and item.group(1) in account.first_seen
                ):
                    account.gone.setdefault(item.group(1), moment)
                return
            for shown, created in items_in(response):
                if shown not in account.first_seen:
                    account.first_seen[shown] = moment
                    account.created[shown] = created
                account.last_seen[shown] = moment
                if shown in account.gone:
                    account.back.add(shown)

    def came_back(self, ids: Iterable[str]) -> tuple[str, ...]:
        """Those of ``ids`` that were gone and have been shown again since: the evidence they
        gave was the server's fault (ids are never reused)."""
        with self._lock:
            back = set().union(*(account.back for account in self._accounts.values()))
        return tuple(item for item in dict.fromkeys(ids) if item in back)

    def ensure_baseline(self) -> None:
        """Walk each watched account once, so that ids shown later can be told new."""
        for key, target in list(self._targets.items()):
            with self._lock:
                account = self._accounts.setdefault(key, _Account())
                if account.baseline_end is not None:
                    continue
            looked = walk_list(target)
            with self._lock:
                account.baseline_end = self._now
                account.baseline_began = looked.began if looked is not None else None

    def clock_at(self, moment: int) -> datetime | None:
        """The server's clock (its Date header) on the latest answer observed by ``moment``."""
        with self._lock:
            at = bisect.bisect_right(self._dates, moment, key=lambda entry: entry[0])
            date = self._dates[at - 1][1] if at else None
        return clock_of(date)

    def since(self, moment: int, until: int | None = None) -> Evidence:
        """The evidence the run has seen after ``moment`` (without looking again) of writes that
        may have come by ``until`` (a check's failure): an id made later, or shown later and
        gone since, was written after the failure."""
        end = self.clock_at(until) if until is not None else None
        latest = end + CLOCKS_APART if end is not None else None
        appeared: list[str] = []
        gone: list[str] = []
        with self._lock:
            for account in self._accounts.values():
                if account.baseline_end is not None:
                    start = max(moment, account.baseline_end)
                    appeared += [
                        item
                        for item, seen in account.first_seen.items()
                        if seen > start
                        and item not in account.back
                        and not self._owns(item)
                        and made_after(
                            create_date_of(account.created[item]), account.baseline_began
                        )
                        and _made_by(create_date_of(account.created[item]), latest)
                    ]
                gone += [
                    item
                    for item, when in account.gone.items()
                    if when > moment
                    and (until is None or account.last_seen.get(item, 0) <= until)
                    and item not in account.back
                    and not self._owns(item)
                ]
        return Evidence(tuple(appeared), tuple(gone))

    def gather(self, moment: int, until: int | None = None) -> Evidence:
        """Look again, then say what writes of other clients the run has seen since ``moment``,
        made by ``until`` (see :meth:`since`).

        A walk of each watched account shows ids no read had seen; a get of the ids the run knows
        that the walk no longer lists (the latest seen first) shows ids gone; an id gone that
        shows up again is no evidence. A writer whose audiences live a few milliseconds leaves
        nothing for one walk to see, so, finding nothing, the walks are made again for up to
        :data:`LOOK_SECONDS` (in any order of the list, a new audience shows on some page).
        A test looks that long once: having looked in vain, its next failures walk once (a
        server whose fault Hypothesis shrinks fails many examples in a row)."""
        deadline = time.monotonic() + (0.0 if self._looked_in_vain else LOOK_SECONDS)
        asked: set[str] = set()
        while True:
            walked = False
            for key, target in list(self._targets.items()):
                looked = walk_list(target)
                if looked is None:
                    continue
                walked = True
                missing = [
                    item for item in self._known_but_not(key, looked.ids) if item not in asked
                ]
                asked.update(missing)
                ask_for(target, missing)
            found = self.since(moment, until)
            if found or not walked:
                return found
            if time.monotonic() >= deadline:
                self._looked_in_vain = True
                return found

    def new_test(self) -> None:
        """A new test may look for writes at length again."""
        self._looked_in_vain = False

    def _known_but_not(self, key: str, listed: set[str]) -> list[str]:
        """Ids the run has seen in this account, not known gone nor its own, that ``listed`` lacks:
        the latest seen first."""
        with self._lock:
            account = self._accounts.get(key, _Account())
            missing = [
                item
                for item in account.first_seen
                if item not in listed and item not in account.gone and not self._owns(item)
            ]
            return sorted(missing, key=lambda item: -account.last_seen.get(item, 0))[
                :GETS_PER_GATHER
            ]


def _made_by(created: datetime | None, latest: datetime | None) -> bool:
    """Whether an audience made at ``created`` may have been made by ``latest`` (None: no bound)."""
    return latest is None or (created is not None and created <= latest)
