"""How a run stops early: Ctrl-C, SIGTERM (a CI cancel or job timeout), SIGHUP, or its budget.

Each of them ends the run the same way: the test going on is stopped where it stands
(:class:`RunStopped` is a ``KeyboardInterrupt``, which pytest, Hypothesis and schemathesis all
let through), no further test starts, and the plugin's end of session deletes what the run
created and writes JUnit and a certificate that say the run gave no verdict (exit 4).

From the moment the tests are over (the end of pytest's test loop) a first signal no longer
interrupts: stopping a cleanup half way, or before it starts, is what would leave data behind.
A second signal exits at once and prints the ``cleanup`` command that finishes the job.

The budget (``--max-duration``) is a real-time alarm in the main thread, so a test blocked in
a slow read is stopped at the budget too, not only the next request.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from conformance.verdict.exits import Exit, RunEnd

STDERR = 2  # the descriptor, whatever object sys.stderr is at the time
USER_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class RunStopped(KeyboardInterrupt):
    """The run was asked to stop (a signal, or its budget ran out); ``reason`` says which."""

    def __init__(self, reason: RunEnd) -> None:
        self.reason = reason
        super().__init__(f"KeyboardInterrupt: the run stopped ({reason.value}); no verdict")


class RunStop:
    """The run's stop switch: signal handlers and the budget alarm, installed in the main thread."""

    def __init__(self) -> None:
        self.reason: RunEnd | None = None
        self.finishing = False
        self.cleanup_command = ""  # printed when a second signal leaves the cleanup undone
        self._signals_seen = 0
        self._previous: dict[int, Any] = {}

    @property
    def installed(self) -> bool:
        return bool(self._previous)

    def install(self) -> None:
        """Take over the stop signals (only possible in the main thread; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread() or self.installed:
            return
        for signum in (*USER_SIGNALS, signal.SIGALRM):
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.disarm_budget()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def arm_budget(self, seconds: float) -> None:
        """Stop the run ``seconds`` from now, wherever it stands."""
        if self.installed:
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def disarm_budget(self) -> None:
        if self.installed:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def budget_spent(self) -> None:
        """Called by the request path when it finds the deadline passed (a second line of defence
        where no alarm can be armed)."""
        self.stop(RunEnd.BUDGET_SPENT)

    def rate_limited(self) -> None:
        """Called by the request path when the target keeps answering 429: the run stops without
        a verdict. During the cleanup it changes nothing: the tests had all run by then."""
        if not self.finishing:
            self.stop(RunEnd.RATE_LIMITED)

    def stop(self, reason: RunEnd) -> None:
        """Stop the run now, unless it is already finishing (then the reason is only noted)."""
        if self.reason is None:
            self.reason = reason
        if not self.finishing:
            # The run stops here. An alarm still armed would fire while pytest reports this very
            # stop, and end the run as if a second stop had cut it short. The timer is the
            # process's, so a thread that finds the deadline passed disarms it too: its stop
            # reaches the main thread through the batch it was sent in.
            self.disarm_budget()
            raise RunStopped(self.reason)

    def begin_finishing(self) -> None:
        """Cleanup and reports are under way: from now on only a second signal interrupts."""
        self.finishing = True
        self.disarm_budget()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGALRM:
            self.stop(RunEnd.BUDGET_SPENT)
            return
        self._signals_seen += 1
        if self._signals_seen > 1:
            _tell(f"second signal: exiting at once. {self.cleanup_command}")
            os._exit(Exit.INCOMPLETE)
        if self.finishing:
            if self.reason is None:
                self.reason = RunEnd.INTERRUPTED
            _tell("stopping: deleting what this run created; a second signal exits at once.")
            return
        self.stop(RunEnd.INTERRUPTED)


def _tell(message: str) -> None:
    """Say ``message`` on the process's standard error from a signal handler.

    The handler runs between two steps of whatever the main thread was doing, which may be a
    write to ``sys.stderr``: writing to it again from there fails as a reentrant call, and that
    error would cut the cleanup short. A write straight to the descriptor holds no lock.
    """
    try:
        os.write(STDERR, f"\naudience-conformance: {message}\n".encode(errors="replace"))
    except OSError:
        pass  # nowhere to say it; the stop itself goes on
