"""Tracebacks pytest can print when a signal stops the run.

Python 3.11 can leave an entry of a traceback without a line number (``tb_lineno`` is None)
when a signal handler raises between two instructions. pytest's report of an interrupt reads
every entry's line number, fails with a ``TypeError`` inside its own hook, and the run then
ends on that traceback with exit 1 instead of its cleanup's "no verdict" (exit 4). Dropping
those entries loses nothing a reader could use: they point at no line.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TracebackEntry


def without_lineless_entries(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` rebuilt without the entries that have no line number."""
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    rebuilt: types.TracebackType | None = None
    for entry in reversed(entries):
        if entry.tb_lineno is not None:
            rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def make_printable(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Drop lineless entries from the traceback of ``excinfo`` and of every exception chained to it."""
    pending: list[BaseException | None] = [excinfo.value]
    seen: set[int] = set()
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        error.__traceback__ = without_lineless_entries(error.__traceback__)
        pending.extend((error.__cause__, error.__context__))
    excinfo.traceback = excinfo.traceback.filter(_has_line_number)


def _has_line_number(entry: TracebackEntry) -> bool:
    try:
        _ = entry.lineno
    except TypeError:  # tb_lineno None: pytest's own arithmetic on it fails
        return False
    return True
