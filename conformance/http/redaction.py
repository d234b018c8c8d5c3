"""Keeping API keys out of everything the suite writes.

A key can leak in many spellings: raw in a header or a curl command, percent-encoded in a
URL, base64 in a token or a Basic header. :class:`Redactor` knows every secret of the run
and removes all of those spellings from any text before it reaches a terminal, JUnit,
a report or a reproduction command.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from conformance.contract.facts import KEY_HEADER, MASK


def _base64_spellings(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {
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


def _bounded(form: str) -> str:
    """``form`` as a whole token: not the middle of a longer word, so that masking never cuts
    into ordinary text."""
    head = (
        r"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2}))" if form[0].isalnum() else ""
    )  # '%3D' before a key still bounds it
    tail = r"(?![A-Za-z0-9])" if form[-1].isalnum() else ""
    return head + re.escape(form) + tail


class Redactor:
    """Replaces every known secret, in every spelling, with a mask.

    Header values are masked by position (``X-Dexatel-Key: anything``), whatever they hold. A key
    in free text is masked where it stands as a token of its own (raw or percent-encoded), or
    anywhere inside base64 (where it is never a token of its own).
    """

    def __init__(
        self, secrets: Iterable[str | None] = (), secret_headers: Iterable[str] = ()
    ) -> None:
        self._tokens: set[str] = set()
        self._encoded: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._headers: set[str] = {KEY_HEADER.lower()}
        self._header_pattern = self._compile_headers()
        for secret in secrets:
            self.add(secret)
        for name in secret_headers:
            self.mark_header(name)

    @property
    def secret_headers(self) -> tuple[str, ...]:
        """Lower-case names of the headers whose values are never shown."""
        return tuple(sorted(self._headers))

    def add(self, secret: str | None) -> None:
        """Register one more secret; empty or missing secrets are ignored."""
        if not secret:
            return
        self._tokens |= {secret, quote(secret, safe=""), quote_plus(secret)}
        self._encoded |= _base64_spellings(secret)
        ordered = sorted(
            self._tokens | self._encoded, key=len, reverse=True
        )  # longest first: a form may contain another
        self._pattern = re.compile(
            "|".join(
                _bounded(form) if form in self._tokens else re.escape(form) for form in ordered
            )
        )

    def mark_header(self, name: str) -> None:
        """A header whose value is secret (a credential the run sends besides the key)."""
        self._headers.add(name.lower())
        self._header_pattern = self._compile_headers()

    def is_secret_header(self, name: str) -> bool:
        return name.lower() in self._headers

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` with every secret header's value masked."""
        return {
            name: MASK if self.is_secret_header(name) else value for name, value in headers.items()
        }

    def _compile_headers(self) -> re.Pattern[str]:
        names = "|".join(re.escape(name) for name in sorted(self._headers, key=len, reverse=True))
        # "Name: value" in a header dump or a curl -H argument; "'name': 'value'" in a dict's repr.
        # The value is all that follows, to the end of the line or the closing quote.
        return re.compile(
            rf"(?i)((?:^|(?<=[\s'\"{{(,]))(?:{names})['\"]?[ \t]*[:=][ \t]*['\"]?)(?!\[REDACTED\]|\[Filtered\])([^'\"\s][^'\"\r\n]*)",
            re.MULTILINE,
        )

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = self._header_pattern.sub(rf"\g<1>{MASK}", text)
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)
