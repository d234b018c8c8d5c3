"""Keeping API keys out of everything the suite writes.

A key can leak in many spellings: raw in a header or a curl command, percent-encoded in a
URL, base64 in a token or a Basic header. :class:`Redactor` knows every secret of the run
and removes all of those spellings from any text before it reaches a terminal, JUnit,
a report or a reproduction command.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"


def _spellings(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    # Inside a longer base64 text the key may start at any of three byte offsets.
    for offset in (0, 1, 2):
        shifted = base64.b64encode(b"\0" * offset + raw).decode()
        core = shifted[4 if offset else 0 : len(shifted) - 4]
        if len(core) >= 8:
            forms.add(core)
    return {form for form in forms if form}


class Redactor:
    """Replaces every known secret, in every spelling, with a mask."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register one more secret; empty or missing secrets are ignored."""
        if not secret:
            return
        self._forms |= _spellings(secret)
        ordered = sorted(self._forms, key=len, reverse=True)  # longest first: a form may contain another
        self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)
