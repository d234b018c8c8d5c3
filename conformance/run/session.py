"""One conformance run: its targets, its ledger, its secrets, and its end.

A :class:`RunContext` is made once per run, lazily, when the suite's first test module is
imported (schemathesis builds its tests at collection time and needs the target then).
It starts the embedded reference server when no target was given, checks that the target
answers at all, and on close deletes what the run created.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.connection_slots import ConnectionSlots
from conformance.http.evidence import Witness
from conformance.http.in_flight import InFlight
from conformance.http.ledger import CleanupReport, Ledger, Namer, new_run_id
from conformance.http.rate_limit import RateLimiter
from conformance.http.redaction import Redactor
from conformance.http.slot_file import SlotFile
from conformance.http.target import Target
from conformance.http.write_guard import WriteGuard
from conformance.run import preflight
from conformance.run.settings import RunSettings
from conformance.run.stopping import RunStop

PRIMARY_ACCOUNT = "reference-account-1"
SECONDARY_ACCOUNT = "reference-account-2"


@dataclass(frozen=True)
class SharedRun:
    """A run made by another process (the controller of ``--workers``), as it hands it to a
    worker: the worker joins it (same id, seed, target and keys) instead of making its own."""

    run_id: str
    seed: int
    base_url: str
    api_key: str
    secondary_api_key: str | None
    folder: str
    preflight_failed: bool
    concurrency: int  # the run's --concurrency, which the slots of the run's folder bound


class RunContext:
    """Everything the suite's tests share during one run."""

    def __init__(
        self, settings: RunSettings, stop: RunStop | None = None, shared: SharedRun | None = None
    ) -> None:
        self.settings = settings
        self.stop = stop
        self.shared = shared  # in a worker process: the run its controller made (id, target, keys)
        self.run_id = shared.run_id if shared is not None else new_run_id()
        self.seed = (
            settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
        )
        self.started_at = time.time()
        self.redactor = Redactor(
            [settings.api_key, settings.secondary_api_key, *settings.transport.secrets()],
            secret_headers=[name for name, _ in settings.transport.headers],
        )
        self.ledger = Ledger()
        self.witness = Witness(self.ledger.owns)
        self.namer = Namer(self.run_id)
        self._resources = ExitStack()
        self.before_cleanup: list[
            Callable[[], None]
        ] = []  # e.g. stop the workers, merge their ledgers
        base_url, api_key, secondary_key = self._resolve_target()
        self.base_url = base_url
        max_duration = settings.max_duration or settings.profile.max_duration
        self.guard = WriteGuard(
            self.ledger, base_path=urlsplit(base_url).path, run_prefix=self.namer.prefix
        )
        self.policy = RequestPolicy(
            origin=Origin.of(base_url),
            timeout=settings.timeout,
            read_only=settings.read_only,
            deadline=time.monotonic() + max_duration,
            observers=[self.ledger.observe, self.witness.observe],
            write_guard=self.guard.check,
            on_deadline=stop.budget_spent if stop is not None else None,
            transport=settings.transport,
            rate_limiter=None,
            connections=settings.concurrency,
            on_rate_limited=stop.rate_limited if stop is not None else None,
            # --concurrency: this process may use it all; the slots every process of the run
            # shares in its folder keep their sum within it (racing threads included).
            in_flight=InFlight(settings.concurrency),
            connection_slots=ConnectionSlots(
                shared.concurrency if shared is not None else settings.concurrency,
                Path(shared.folder) if shared is not None else None,
            ),
        )
        self.share_limits(shared.folder if shared is not None else None)
        self.round_trip: float | None = None  # median seconds of the preflight's exchanges
        if stop is not None:
            stop.cleanup_command = self.cleanup_command()
        self.primary = Target(base_url, api_key, self.policy)
        self.secondary = Target(base_url, secondary_key, self.policy) if secondary_key else None
        self.witness.watch(self.targets)
        self._closed = False

    def _resolve_target(self) -> tuple[str, str, str | None]:
        settings = self.settings
        if self.shared is not None:
            self.redactor.add(self.shared.api_key)
            if self.shared.secondary_api_key:
                self.redactor.add(self.shared.secondary_api_key)
            return self.shared.base_url, self.shared.api_key, self.shared.secondary_api_key
        if not settings.embedded:
            assert settings.base_url is not None and settings.api_key is not None
            return settings.base_url, settings.api_key, settings.secondary_api_key
        # The embedded default: the reference server on a free loopback port, a throw-away
        # database, and two generated keys of two accounts.
        from conformance.reference.keys import generate_key
        from conformance.reference.server import ReferenceServer

        folder = Path(
            self._resources.enter_context(tempfile.TemporaryDirectory(prefix="audience-reference-"))
        )
        key, secondary_key = generate_key(), generate_key()
        self.redactor.add(key)
        self.redactor.add(secondary_key)
        server = ReferenceServer(
            db=str(folder / "reference.sqlite3"),
            keys={key: PRIMARY_ACCOUNT, secondary_key: SECONDARY_ACCOUNT},
        )
        self._resources.enter_context(server)
        return server.base_url, key, secondary_key

    @property
    def targets(self) -> list[Target]:
        return [target for target in (self.primary, self.secondary) if target is not None]

    def share_limits(self, folder: str | None) -> None:
        """Take the run's request slots from a file of the run's ``folder``, which every process
        of the run shares (the controller of ``--workers`` and its workers), so that
        ``--rate-limit`` holds for the whole run; without a folder this process keeps them."""
        limit = self.settings.rate_limit
        book = SlotFile.in_folder(folder) if folder is not None else None
        self.policy.rate_limiter = RateLimiter(limit, book) if limit is not None else None

    def arm_budget(self) -> None:
        """Arm the budget's alarm for what is left of it, once the tests are collected. Armed
        earlier, a short budget could fire inside an import's compile, which leaves CPython's
        parser in a state that breaks pytest's report of the stop; the deadline still bounds
        every request sent before."""
        if self.stop is not None and self.policy.deadline is not None:
            self.stop.arm_budget(self.policy.deadline - time.monotonic())

    def preflight(self) -> None:
        """Fail fast, before any test, when the target cannot be tested as given
        (:mod:`conformance.run.preflight`); keep the median round trip it measured."""
        if self.shared is None:  # the controller checked the target once, before any worker started
            self.round_trip = preflight.check(self)

    def cleanup_command(self) -> str:
        """What finishes this run's cleanup when the run could not (it is printed, never run)."""
        if self.settings.embedded:
            return (
                "The embedded reference's database was a temporary one: nothing is left to clean."
            )
        return f"To delete what this run created, run: audience-conformance cleanup --base-url {self.base_url} --run-id {self.run_id}"

    def close(self) -> CleanupReport:
        """Delete what the run created, then sweep the accounts for anything else carrying the
        run's prefix, then stop what the run started. Safe to call twice."""
        report = CleanupReport()
        if self._closed:
            return report
        self._closed = True
        # Cleanup is a run's own duty: it is not cut short by the deadline. A read-only run
        # sent no write, so it has nothing to delete and sends none now either.
        self.policy.deadline = None
        try:
            for step in self.before_cleanup:
                step()
            if self.guard.writes_let_through:
                self.ledger.clean(self.targets, report)
                self.ledger.sweep_own(self.targets, self.namer.prefix, report)
            return report
        finally:
            for target in self.targets:
                target.close()
            self.policy.in_flight.close()
            self._resources.close()


_active: RunContext | None = None


def activate(
    settings: RunSettings, stop: RunStop | None = None, shared: SharedRun | None = None
) -> RunContext:
    """The run of this process, made on first use."""
    global _active
    if _active is None:
        _active = RunContext(settings, stop, shared)
    return _active


def active() -> RunContext | None:
    return _active


def current() -> RunContext:
    """The active run, for suite modules that build names and strategies at import time."""
    if _active is None:
        raise RuntimeError(
            "No conformance run is active: the suite's conftest starts one before any test module is imported."
        )
    return _active


def deactivate() -> CleanupReport | None:
    global _active
    if _active is None:
        return None
    context, _active = _active, None
    return context.close()
