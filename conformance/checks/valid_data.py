"""Hypothesis strategies for valid request parts: names, numbers, contacts, channels, bodies.

They draw the contract's boundaries from the inside (a name of exactly 45 characters, 10
contacts, a number of 7 or 15 digits), for the tests that check a server is not too strict,
and they are the valid rest of every faulty request (:mod:`conformance.checks.faults`).

Names come from a ``fresh`` callable (the run's :class:`~conformance.http.ledger.Namer`), so every
name the suite sends is unique and carries the run prefix, and no two of them differ only in
letter case (the contract leaves case-sensitivity of uniqueness open).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from conformance.contract.facts import CHANNELS, CONTACTS_LIMIT, NAME_LIMIT

Fresh = Callable[[], str]


# VAL-1304: the only characters a name may have; section 1: the only ones an identifier may have.
ALLOWED = string.ascii_letters + string.digits + "-_"


def valid_names(fresh: Fresh, *, length: int | None = None) -> st.SearchStrategy[str]:
    """A fresh name of allowed characters in any mix of case, up to 45 (or exactly ``length``)."""
    tail = st.text(ALLOWED, min_size=NAME_LIMIT, max_size=NAME_LIMIT)
    if length is None:
        return st.tuples(tail, st.integers(0, NAME_LIMIT)).map(
            lambda drawn: pad(fresh(), drawn[0], drawn[1])
        )
    return tail.map(lambda text: pad(fresh(), text, length))


def pad(base: str, tail: str, length: int) -> str:
    """``base`` followed by as much of ``tail`` as makes ``length`` characters (never shorter than base)."""
    return base + tail[: max(0, length - len(base))]


def valid_numbers() -> st.SearchStrategy[str]:
    """'+' and 7 to 15 digits (VAL-1354), the boundaries 7 and 15 included."""
    return st.builds(
        "+{}{}".format,
        st.sampled_from("123456789"),
        st.text(string.digits, min_size=6, max_size=14),
    )


PERSON_LETTERS = string.ascii_letters + "éñøßçÅÖžłİЖя"


def person_names() -> st.SearchStrategy[str]:
    """A contact's first or last name: any string, says the contract; people's names have spaces,
    hyphens, apostrophes and letters beyond ASCII ("Mary Ann", "O'Neil", "José"), and a server
    refusing them refuses a valid create (CRUD-01)."""
    word = st.text(PERSON_LETTERS, min_size=1, max_size=9)
    return st.builds(
        lambda first, joint, second: first + (joint + second if joint else ""),
        word,
        st.sampled_from(["", " ", "-", "'"]),
        word,
    )


def valid_contacts() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"number": valid_numbers()},
        optional={"first_name": person_names(), "last_name": person_names()},
    )


def contact_lists(
    min_size: int = 0, max_size: int = CONTACTS_LIMIT
) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(valid_contacts(), min_size=min_size, max_size=max_size)


def channels() -> st.SearchStrategy[str]:
    return st.sampled_from(CHANNELS)


@st.composite
def create_bodies(
    draw: st.DrawFn,
    fresh: Fresh,
    *,
    contacts: st.SearchStrategy[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A valid create body; ``contacts`` absent or a list of valid contacts."""
    data: dict[str, Any] = {"name": draw(valid_names(fresh)), "channel": draw(channels())}
    listed = draw(st.none() | contact_lists()) if contacts is None else draw(contacts)
    if listed is not None:
        data["contacts"] = listed
    return {"data": data}
