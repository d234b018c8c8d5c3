"""API keys: making them, reading 'KEY=ACCOUNT' specs, and matching a presented key.

Keys are secrets: nothing here puts a key into a message, a log line or an exception.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping

# Header values are visible ASCII; a key with spaces or control characters could never be sent.
_KEY_TEXT = re.compile(r"[!-~]+")


def generate_key() -> str:
    """A fresh random key (128 bits, hex)."""
    return secrets.token_hex(16)


def parse_key_spec(spec: str) -> tuple[str, str]:
    """Split 'KEY=ACCOUNT' at its last '=' (keys may end in base64 padding); the key is never echoed."""
    key, separator, account = spec.rpartition("=")
    if not separator or not key or not account.strip():
        raise ValueError(
            "A key spec must look like KEY=ACCOUNT, for example 0f3c...9a=account-1; the one given has no key or no account."
        )
    if not _KEY_TEXT.fullmatch(key):
        raise ValueError(
            "The key of a KEY=ACCOUNT spec must be visible ASCII characters without spaces."
        )
    return key, account.strip()


class KeyRing:
    """Maps presented keys to account ids, comparing in constant time (AUTH-01)."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        # An empty key must never authenticate, whatever the map says.
        self._entries = [(key.encode("utf-8"), account) for key, account in keys.items() if key]

    def account_for(self, presented: bytes) -> str | None:
        """The account of ``presented``, or None; every entry is compared so timing reveals nothing."""
        found: str | None = None
        for key, account in self._entries:
            if hmac.compare_digest(presented, key):
                found = account
        return found
