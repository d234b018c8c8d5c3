"""Hypothesis strategies for audience identifiers, well-formed and malformed (VAL-1301, VAL-1302),
and the item path that carries one."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import strategies as st

from conformance.checks.valid_data import ALLOWED
from conformance.checks.wrong_values import forbidden_characters, past
from conformance.contract.facts import AUDIENCES_PATH, ID_LIMIT


def well_formed_ids() -> st.SearchStrategy[str]:
    """Identifiers of section 1's pattern, in the shapes servers use (most will be unknown)."""
    return st.one_of(
        st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        st.uuids().map(str),
        st.uuids().map(lambda value: value.hex),
        st.integers(10**12, 10**19).map(str),
        st.text(ALLOWED, min_size=ID_LIMIT, max_size=ID_LIMIT),
    )


def malformed_ids() -> st.SearchStrategy[str]:
    """Identifiers outside ``^[A-Za-z0-9_-]{1,64}$``: too long, or with forbidden characters.

    '/' is left to its own test (an encoded slash), and '.' or '..' alone are left out: they
    are path segments that clients and servers resolve before any route sees them.
    """

    @st.composite
    def with_forbidden(draw: st.DrawFn) -> str:
        text = draw(st.text(ALLOWED, max_size=40))
        for _ in range(draw(st.integers(1, 3))):
            position = draw(st.integers(0, len(text)))
            character = draw(
                (forbidden_characters() | st.sampled_from(".~%?#+")).filter(lambda c: c != "/")
            )
            text = text[:position] + character + text[position:]
        return text

    too_long = past(ID_LIMIT, 400)
    return st.one_of(
        too_long.flatmap(lambda length: st.text(ALLOWED, min_size=length, max_size=length)),
        with_forbidden(),
    ).filter(lambda text: text not in (".", ".."))


def id_path(identifier: str) -> str:
    """The item path of ``identifier``, every character outside the unreserved set percent-encoded."""
    return AUDIENCES_PATH + "/" + quote(identifier, safe="")
