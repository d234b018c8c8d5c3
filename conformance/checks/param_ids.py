"""Test ids a CI viewer can show: printable, short, and distinct.

pytest makes a parametrized test's id from its value; raw bytes and long values give ids such
as ``\\xff\\xfe\\x00'`` or a name of 8,000 characters, which JUnit viewers cut, wrap or refuse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MAX_ID_LENGTH = 48  # with the longest test name, a testcase name stays under 120 characters


def readable_id(value: str | bytes) -> str:
    """The value itself when it is short and printable; otherwise its escaped start and a short
    digest, so two long values never share an id."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = "0x" + raw.hex()  # not text at all: its bytes
    # pytest escapes a backslash in an id again, so nothing here is written with one.
    shown = "".join(
        char if char.isprintable() and char.isascii() else f"U+{ord(char):04X}" for char in text
    )
    if len(shown) <= MAX_ID_LENGTH:
        return shown
    digest = hashlib.sha256(raw).hexdigest()[:8]
    return f"{shown[: MAX_ID_LENGTH - 20]}...({len(raw)}B,{digest})"


def readable_ids(values: Iterable[str | bytes]) -> list[str]:
    return [readable_id(value) for value in values]
