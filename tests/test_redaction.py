"""The redactor removes a key in every spelling it can travel in."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from conformance.redaction import MASK, Redactor

CANARY = "canary-5f2b8c1e9d+/=key"


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc"])
def test_base64_inside_longer_text_is_masked_at_any_offset(prefix: bytes) -> None:
    """A key inside a base64 blob is found whatever byte offset it starts at."""
    blob = base64.b64encode(prefix + CANARY.encode() + b"-and-more").decode()
    assert MASK in Redactor([CANARY])(blob)


def test_raw_and_url_encoded_forms_are_masked() -> None:
    """Raw and percent-encoded spellings are both replaced."""
    redact = Redactor([CANARY])
    text = f"curl -H 'X-Dexatel-Key: {CANARY}' 'http://h/?k={quote(CANARY, safe='')}'"
    assert CANARY not in redact(text)
    assert quote(CANARY, safe="") not in redact(text)


def test_text_without_secrets_is_untouched() -> None:
    """Nothing is masked when no secret is present, or none is known."""
    assert Redactor([CANARY])("plain text") == "plain text"
    assert Redactor([None, ""])("plain text") == "plain text"
