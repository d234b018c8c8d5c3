"""An interrupt whose traceback has an entry without a line number is still reported."""

from __future__ import annotations

import sys
import types

import pytest

from conformance.plugin.tracebacks import make_printable, without_lineless_entries

NO_LINE = 10**6  # an instruction offset past the code: the entry's tb_lineno reads None


def interrupt_with_a_lineless_entry() -> pytest.ExceptionInfo[BaseException]:
    """A KeyboardInterrupt raised here, one entry of its traceback pointing at no line (as a
    signal handler can leave it on Python 3.11), chained to an error that has one too."""
    try:
        raise ValueError("the test that was running")
    except ValueError as cause:
        cause.__traceback__ = types.TracebackType(cause.__traceback__, sys._getframe(), NO_LINE, -1)
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            stop.__traceback__ = types.TracebackType(
                stop.__traceback__, sys._getframe(), NO_LINE, -1
            )
            return pytest.ExceptionInfo.from_exception(stop)


def test_pytest_cannot_print_such_a_traceback_as_it_is() -> None:
    excinfo = interrupt_with_a_lineless_entry()
    assert excinfo.value.__traceback__ is not None and excinfo.value.__traceback__.tb_lineno is None
    with pytest.raises(TypeError):
        excinfo.getrepr(funcargs=True)


def test_made_printable_it_prints_with_every_line_it_had() -> None:
    excinfo = interrupt_with_a_lineless_entry()
    make_printable(excinfo)
    text = str(excinfo.getrepr(funcargs=True))
    assert "KeyboardInterrupt" in text and "ValueError: the test that was running" in text
    assert (
        "raise KeyboardInterrupt" in text
        and 'raise ValueError("the test that was running")' in text
    )


def test_only_the_lineless_entries_go() -> None:
    try:
        raise RuntimeError("x")
    except RuntimeError as error:
        kept = error.__traceback__
        lineless = types.TracebackType(kept, sys._getframe(), NO_LINE, -1)
    rebuilt = without_lineless_entries(lineless)
    assert rebuilt is not None and rebuilt.tb_next is None
    assert kept is not None and (rebuilt.tb_frame, rebuilt.tb_lineno) == (
        kept.tb_frame,
        kept.tb_lineno,
    )
