"""Hypothesis' notes on a failure, less what only a Hypothesis user can act on.

Hypothesis adds notes to the exception it re-raises: the failing call with its arguments
(``Failing test case: test_x(target=, known=, walks=...)``: fixture reprs, masked to nothing),
each value drawn inside the test, how many other examples failed ("use Verbosity.verbose to
view"), a ``@reproduce_failure`` decorator to paste into the suite's own source, and which lines
ran. A server developer reads the rule, what was expected and received, the request and the
response, and reruns with the run's seed: those stay, as do the suite's own notes, Hypothesis'
note of its seed, and reproductions (lines starting with ``curl`` or ``reproduce:``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HYPOTHESIS_NOTE = re.compile(
    r"(Failing test case|Failing explicit example|Falsifying (explicit )?example|Trying example"
    r"|Explanation|Highest target score|Draw \d+( \(.*?\))?):"
    r"|\(note: \d+ other explicit examples? also failed"
    r"|You can reproduce this example by temporarily adding @reproduce_failure"
)
_KEPT_LINE = re.compile(r"^\s*(curl\s|reproduce:)", re.MULTILINE)


def is_hypothesis_noise(note: str) -> bool:
    """Whether ``note`` is one of Hypothesis' own notes above, carrying no reproduction."""
    return bool(_HYPOTHESIS_NOTE.match(note)) and not _KEPT_LINE.search(note)


def readable(notes: Iterable[object]) -> list[str]:
    """The notes a server developer reads, in their order."""
    return [str(note) for note in notes if not is_hypothesis_noise(str(note))]


def strip_noise(error: BaseException) -> None:
    """Drop Hypothesis' notes from ``error`` and every exception in it (group members, causes,
    contexts, a failed check's wrapped violation), before any report is written from it."""
    pending: list[object] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            kept = readable(notes)
            if kept:
                current.__notes__ = kept
            else:
                del current.__notes__
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(
            (current.__cause__, current.__context__, getattr(current, "exception", None))
        )
