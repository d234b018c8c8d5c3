"""Page tokens (PAGE-11): round trips, and every alteration detected."""

from __future__ import annotations

import base64
import json

import pytest

from conformance.reference.cursors import Cursor, CursorCodec, InvalidToken

SECRET = b"s" * 32
CURSOR = Cursor("/v1/audiences", "acct", (("filter[channel]", "VIBER"),), 3, 42, 5)


def test_a_token_decodes_to_the_cursor_it_encodes() -> None:
    """The codec round-trips every field."""
    codec = CursorCodec(SECRET)
    assert codec.decode(codec.encode(CURSOR)) == CURSOR


def test_tokens_are_url_safe() -> None:
    """Tokens travel in query strings unescaped: only base64url characters and one dot."""
    token = CursorCodec(SECRET).encode(CURSOR)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_every_single_character_change_is_detected() -> None:
    """No one-character edit of a token, anywhere, decodes."""
    codec = CursorCodec(SECRET)
    token = codec.encode(CURSOR)
    alphabet = "AQgw_-09."
    for position in range(len(token)):
        for replacement in alphabet:
            if replacement != token[position]:
                with pytest.raises(InvalidToken):
                    codec.decode(token[:position] + replacement + token[position + 1 :])


def test_another_secret_refuses_the_token() -> None:
    """A token signed by another database does not decode."""
    with pytest.raises(InvalidToken):
        CursorCodec(b"t" * 32).decode(CursorCodec(SECRET).encode(CURSOR))


def _signed(codec: CursorCodec, payload: object) -> str:
    """A correctly signed token around an arbitrary payload, to test the shape checks."""
    raw = json.dumps(payload).encode()
    signature = codec._sign(raw)
    return (
        base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    )


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"c": "/v1/audiences"},
        {"c": 1, "a": "a", "f": [], "s": 1, "p": 0, "n": 1},
        {"c": "c", "a": "a", "f": [], "s": True, "p": 0, "n": 1},
        {"c": "c", "a": "a", "f": [["k"]], "s": 1, "p": 0, "n": 1},
        {"c": "c", "a": "a", "f": [], "s": 1, "p": -1, "n": 1},
    ],
)
def test_signed_payloads_of_the_wrong_shape_are_refused(payload: object) -> None:
    """Even a correctly signed payload must have exactly the cursor's fields and types."""
    codec = CursorCodec(SECRET)
    with pytest.raises(InvalidToken):
        codec.decode(_signed(codec, payload))


@pytest.mark.parametrize("token", ["", ".", "a.", ".a", "a.b.c", "a b.c", "é.a", "x" * 3000 + ".a"])
def test_malformed_text_is_refused(token: str) -> None:
    """Anything that is not two base64url parts of sane length is refused."""
    with pytest.raises(InvalidToken):
        CursorCodec(SECRET).decode(token)


def test_short_secret_is_refused() -> None:
    """A secret of under 16 bytes would make tokens guessable."""
    with pytest.raises(ValueError):
        CursorCodec(b"short")
