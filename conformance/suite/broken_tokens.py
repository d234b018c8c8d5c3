"""Page tokens as the links issued them, and the broken ones made of them (PAGE-11).

Noise and random strings need no issued token; an issued one adds truncated, changed and
extended ones, and valid tokens sent with another query.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.checks.walk_invariants import token_of
from conformance.checks.walk_model import Query
from conformance.checks.walker import first_page
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target

CHANNEL = "filter[channel]"


@dataclass(frozen=True)
class Issued:
    """A page token as a link gave it, and the query it was issued for."""

    token: str
    query: Query


@dataclass(frozen=True)
class Attempt:
    """A request with a token that is not valid for it, and why not."""

    why: str
    params: tuple[tuple[str, str], ...]


def issue_token(target: Target, query: Query) -> Issued | None:
    """The token of page 2 of ``query``, or None when there is no page 2 or no token in its link."""
    page = first_page(target, query)
    link = page.links["next"]
    token = token_of(link) if link else None
    return Issued(token, query) if token else None


TOKEN_QUERIES = (Query(AUDIENCES_PATH, 1), Query(AUDIENCES_PATH, 2, ((CHANNEL, "SMS"),)))


_NOISE = st.binary(min_size=1, max_size=64).map(
    lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")
)
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="


def broken_tokens(issued: tuple[Issued | None, Issued | None]) -> st.SearchStrategy[Attempt]:
    """Noise and random strings (they need no issued token); with issued tokens also truncated,
    bit-flipped and extended ones, and valid tokens sent with another query."""
    (one, two) = issued
    params = Query(AUDIENCES_PATH, 1).params() if one is None else one.query.params()

    def sent(why: str, value: str, query_params: list[tuple[str, str]] = params) -> Attempt:
        return Attempt(why, (*query_params, ("page_token", value)))

    made = [
        _NOISE.map(lambda noise: sent("base64 noise", noise)),
        st.text(min_size=1, max_size=64)
        .filter(lambda text: text.strip() != "")
        .map(lambda text: sent("a random string", text)),
    ]
    if one is not None:
        token = one.token

        def flipped(position: int, replacement: str) -> Attempt:
            index = position % len(token)
            char = (
                replacement
                if replacement != token[index]
                else ("A" if token[index] != "A" else "B")
            )
            return sent(f"character {index} changed", token[:index] + char + token[index + 1 :])

        made += [
            st.integers(min_value=1, max_value=max(1, len(token) - 1)).map(
                lambda keep: sent(f"truncated to {keep} characters", token[:keep])
            ),
            st.builds(flipped, st.integers(min_value=0), st.sampled_from(_TOKEN_CHARS)),
            st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=8).map(
                lambda tail: sent("extended", token + tail)
            ),
            st.just(
                sent(
                    "issued for page size 1, sent with page size 3",
                    token,
                    Query(AUDIENCES_PATH, 3).params(),
                )
            ),
        ]
    if two is not None:
        made += [
            st.just(
                sent(
                    "issued for SMS, sent with VIBER",
                    two.token,
                    Query(AUDIENCES_PATH, 2, ((CHANNEL, "VIBER"),)).params(),
                )
            ),
            st.just(
                sent(
                    "issued for SMS, sent without a filter",
                    two.token,
                    Query(AUDIENCES_PATH, 2).params(),
                )
            ),
        ]
    return st.one_of(made)
