"""The redactor removes a key in every spelling it can travel in."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from conformance.contract.facts import MASK
from conformance.http.redaction import Redactor

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


def test_a_key_is_masked_as_a_token_never_inside_a_word() -> None:
    """A key that also spells part of ordinary words leaves those words whole (no 'e[REDACTED]pected')."""
    redact = Redactor(["expected"])
    assert (
        redact("expected: 200, unexpected: 500, key=expected&x")
        == f"{MASK}: 200, unexpected: 500, key={MASK}&x"
    )


def test_a_percent_encoded_key_inside_an_encoded_url_is_masked() -> None:
    """'%3D' (an encoded '=') before the key still bounds it."""
    encoded = quote(f"http://h/?k={CANARY}", safe="")
    assert quote(CANARY, safe="") not in Redactor([CANARY])(encoded)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("X-Dexatel-Key: any value at all", f"X-Dexatel-Key: {MASK}"),
        (
            "curl -H 'x-dexatel-key: k' -H 'Accept: */*'",
            f"curl -H 'x-dexatel-key: {MASK}' -H 'Accept: */*'",
        ),
        ("{'X-Dexatel-Key': 'k', 'Accept': 'a'}", f"{{'X-Dexatel-Key': '{MASK}', 'Accept': 'a'}}"),
        ("Authorization: Bearer t0k3n; more", f"Authorization: {MASK}"),
        ("X-Dexatel-Key:\nnext: line", "X-Dexatel-Key:\nnext: line"),
        (f"X-Dexatel-Key: {MASK}", f"X-Dexatel-Key: {MASK}"),
    ],
)
def test_secret_header_values_are_masked_by_position(text: str, shown: str) -> None:
    """Whatever a secret header holds (a key the redactor was never told, a marked header's token) is masked."""
    assert Redactor(secret_headers=["Authorization"])(text) == shown


def test_headers_mapping_is_masked_by_name() -> None:
    redactor = Redactor(secret_headers=["X-Extra-Token"])
    assert redactor.headers({"x-dexatel-key": "k", "X-Extra-Token": "t", "Accept": "a"}) == {
        "x-dexatel-key": MASK,
        "X-Extra-Token": MASK,
        "Accept": "a",
    }
