"""Page tokens: a position in a collection, bound to the query it was made for, and signed.

A token is ``base64url(payload) "." base64url(HMAC-SHA256(payload))``. The payload names the
collection, the account, the normalized filters, the page size, the keyset position and the
page number; the signature makes any change to it detectable (PAGE-11).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

MAX_TOKEN_LENGTH = 2048
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidToken(ValueError):
    """Raised when a page token is malformed, truncated or tampered with."""


@dataclass(frozen=True)
class Cursor:
    collection: str  # e.g. '/v1/audiences' or '/v1/audiences/<id>/contacts'
    account_id: str
    filters: tuple[tuple[str, str], ...]  # normalized, exactly as links carry them
    page_size: int
    after_seq: int  # the page holds items with seq greater than this
    number: int  # the page's number, 1 for the first


class CursorCodec:
    """Signs cursors into tokens and checks tokens back into cursors."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("A page-token secret needs at least 16 bytes.")
        self._secret = secret

    def encode(self, cursor: Cursor) -> str:
        payload = json.dumps(
            {
                "c": cursor.collection,
                "a": cursor.account_id,
                "f": [list(pair) for pair in cursor.filters],
                "s": cursor.page_size,
                "p": cursor.after_seq,
                "n": cursor.number,
            },
            separators=(",", ":"),
            ensure_ascii=True,
        ).encode("ascii")
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(self, token: str) -> Cursor:
        """The cursor a token holds; InvalidToken unless it is exactly a token this server signed."""
        if len(token) > MAX_TOKEN_LENGTH or not _TOKEN_TEXT.fullmatch(token):
            raise InvalidToken("not a page token")
        payload_text, signature_text = token.split(".")
        payload, signature = _b64decode(payload_text), _b64decode(signature_text)
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidToken("signature mismatch")
        try:
            fields = json.loads(payload)
        except ValueError:
            raise InvalidToken("unreadable payload") from None
        return _cursor_from(fields)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.digest(self._secret, payload, hashlib.sha256)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing non-canonical spellings of the same bytes."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("bad base64") from None
    # Base64 ignores some low bits of the last character: a changed character could decode
    # to the same bytes, so only the one canonical spelling counts as untampered.
    if _b64encode(data) != text:
        raise InvalidToken("non-canonical base64")
    return data


def _cursor_from(fields: object) -> Cursor:
    if not isinstance(fields, dict):
        raise InvalidToken("payload is not an object")
    collection, account, filters = fields.get("c"), fields.get("a"), fields.get("f")
    size, after, number = fields.get("s"), fields.get("p"), fields.get("n")
    if not (isinstance(collection, str) and isinstance(account, str) and isinstance(filters, list)):
        raise InvalidToken("payload has wrong fields")
    if not all(type(value) is int and value >= 0 for value in (size, after, number)):
        raise InvalidToken("payload has wrong numbers")
    pairs: list[tuple[str, str]] = []
    for pair in filters:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(part, str) for part in pair)
        ):
            raise InvalidToken("payload has wrong filters")
        pairs.append((pair[0], pair[1]))
    assert isinstance(size, int) and isinstance(after, int) and isinstance(number, int)
    return Cursor(collection, account, tuple(pairs), size, after, number)
