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
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import requests

from conformance.ledger import CleanupReport, Ledger, Namer, new_run_id
from conformance.ratelimit import RateLimiter
from conformance.redaction import Redactor
from conformance.settings import RunSettings
from conformance.stopping import RunStop
from conformance.target import AUDIENCES_PATH, ClearTextProxyRefused, Origin, RequestPolicy, RunDeadlineExceeded, Target, TargetError
from conformance.transport import describe_connection_failure
from conformance.write_guard import WriteGuard

PRIMARY_ACCOUNT = "reference-account-1"
SECONDARY_ACCOUNT = "reference-account-2"


class TargetUnreachable(Exception):
    """The target does not answer at all (refused, timed out, not HTTP); nothing can be certified."""


class KeyRefused(Exception):
    """The target answered 401 to the key the user gave; the run would only measure that."""


class RunContext:
    """Everything the suite's tests share during one run."""

    def __init__(self, settings: RunSettings, stop: RunStop | None = None) -> None:
        self.settings = settings
        self.stop = stop
        self.run_id = new_run_id()
        self.seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
        self.started_at = time.time()
        self.redactor = Redactor([settings.api_key, settings.secondary_api_key, *settings.transport.secrets()])
        self.ledger = Ledger()
        self.namer = Namer(self.run_id)
        self._resources = ExitStack()
        base_url, api_key, secondary_key = self._resolve_target()
        self.base_url = base_url
        max_duration = settings.max_duration or settings.profile.max_duration
        self.guard = WriteGuard(self.ledger, base_path=urlsplit(base_url).path, run_prefix=self.namer.prefix)
        self.policy = RequestPolicy(
            origin=Origin.of(base_url),
            timeout=settings.timeout,
            read_only=settings.read_only,
            deadline=time.monotonic() + max_duration,
            observers=[self.ledger.observe],
            write_guard=self.guard.check,
            on_deadline=stop.budget_spent if stop is not None else None,
            transport=settings.transport,
            rate_limiter=RateLimiter(settings.rate_limit) if settings.rate_limit else None,
            on_rate_limited=stop.rate_limited if stop is not None else None,
        )
        if stop is not None:
            stop.cleanup_command = self.cleanup_command()
            stop.arm_budget(max_duration)
        self.primary = Target(base_url, api_key, self.policy)
        self.secondary = Target(base_url, secondary_key, self.policy) if secondary_key else None
        self._closed = False

    def _resolve_target(self) -> tuple[str, str, str | None]:
        settings = self.settings
        if not settings.embedded:
            assert settings.base_url is not None and settings.api_key is not None
            return settings.base_url, settings.api_key, settings.secondary_api_key
        # The embedded default: the reference server on a free loopback port, a throw-away
        # database, and two generated keys of two accounts.
        from conformance.reference.keys import generate_key
        from conformance.reference.server import ReferenceServer

        folder = Path(self._resources.enter_context(tempfile.TemporaryDirectory(prefix="audience-reference-")))
        key, secondary_key = generate_key(), generate_key()
        self.redactor.add(key)
        self.redactor.add(secondary_key)
        server = ReferenceServer(db=str(folder / "reference.sqlite3"), keys={key: PRIMARY_ACCOUNT, secondary_key: SECONDARY_ACCOUNT})
        self._resources.enter_context(server)
        return server.base_url, key, secondary_key

    @property
    def targets(self) -> list[Target]:
        return [target for target in (self.primary, self.secondary) if target is not None]

    def preflight(self) -> None:
        """Fail fast, with one clear message, when the target cannot be tested at all."""
        try:
            response = self.primary.get(AUDIENCES_PATH, params={"page_size": 1})
        except ClearTextProxyRefused as error:
            raise TargetUnreachable(str(error)) from None
        except requests.Timeout:
            raise TargetUnreachable(f"{self.base_url} did not answer within {self.settings.timeout:g} s.") from None
        except requests.ConnectionError as error:
            reason = describe_connection_failure(error, self.settings.transport, https=self.policy.origin.scheme == "https")
            raise TargetUnreachable(f"{self.base_url} cannot be reached: {reason}") from None
        except RunDeadlineExceeded:
            raise
        except (requests.RequestException, TargetError) as error:
            raise TargetUnreachable(f"{self.base_url} did not answer as an HTTP server: {type(error).__name__}.") from None
        if response.status_code == 401:
            raise KeyRefused(f"{self.base_url} refused the API key (401); check --api-key / AUDIENCE_API_KEY.")

    def cleanup_command(self) -> str:
        """What finishes this run's cleanup when the run could not (it is printed, never run)."""
        if self.settings.embedded:
            return "The embedded reference's database was a temporary one: nothing is left to clean."
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
            if self.guard.writes_let_through:
                self.ledger.clean(self.targets, report)
                self.ledger.sweep_own(self.targets, self.namer.prefix, report)
            return report
        finally:
            for target in self.targets:
                target.close()
            self._resources.close()


_active: RunContext | None = None


def activate(settings: RunSettings, stop: RunStop | None = None) -> RunContext:
    """The run of this process, made on first use."""
    global _active
    if _active is None:
        _active = RunContext(settings, stop)
    return _active


def active() -> RunContext | None:
    return _active


def current() -> RunContext:
    """The active run, for suite modules that build names and strategies at import time."""
    if _active is None:
        raise RuntimeError("No conformance run is active: the suite's conftest starts one before any test module is imported.")
    return _active


def deactivate() -> CleanupReport | None:
    global _active
    if _active is None:
        return None
    context, _active = _active, None
    return context.close()
