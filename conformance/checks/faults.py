"""Hypothesis strategies for requests with exactly one fault of the contract's code table.

Each strategy starts from a valid request (:mod:`conformance.checks.valid_data`) and breaks one thing
with a value no field may hold (:mod:`conformance.checks.wrong_values`), exploring the whole class of
that fault (VAL-00): every kind of forbidden character, names from one character too long to
hundreds. Identifiers have their own strategies (:mod:`conformance.checks.identifiers`).
"""

from __future__ import annotations

import json
import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from conformance.checks.valid_data import (
    ALLOWED,
    Fresh,
    channels,
    contact_lists,
    create_bodies,
    pad,
    person_names,
    valid_names,
)
from conformance.checks.wrong_values import (
    BAD_NUMBER_SHAPES,
    NEAR_CHANNELS,
    forbidden_characters,
    past,
    wrong_json_types,
)
from conformance.contract.facts import CHANNELS, CONTACTS_LIMIT, NAME_LIMIT, NUMBER_LIMIT
from conformance.contract.rules import ERROR_CODES


@dataclass(frozen=True)
class Fault:
    """A request body with one fault of the code table, and the answer the table gives it."""

    code: int
    what: str  # the fault, for messages: "name of 46 allowed characters"
    body: Any  # the JSON document to send
    also: frozenset[int] = field(
        default_factory=frozenset
    )  # codes the contract's wording also allows

    @property
    def rule(self) -> str:
        return f"VAL-{self.code}"

    @property
    def status(self) -> int:
        return ERROR_CODES[self.code]

    @property
    def codes(self) -> frozenset[int]:
        return self.also | {self.code}


class _Drop:
    """Marks a field that :func:`_with` removes."""


DROP = _Drop()


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a ``{"data": ...}`` body with fields of ``data`` set, or removed by ``DROP``."""
    data = dict(body["data"])
    for name, value in changes.items():
        if value is DROP:
            data.pop(name, None)
        else:
            data[name] = value
    return {"data": data}


# VAL-1303: missing, null or empty name; no 'data' at all.
@st.composite
def missing_names(draw: st.DrawFn, fresh: Fresh, *, update: bool = False) -> Fault:
    body = {"data": {"name": draw(valid_names(fresh))}} if update else draw(create_bodies(fresh))
    name = body["data"]["name"]
    shapes = [
        ("no data.name", _with(body, name=DROP)),
        ("data.name null", _with(body, name=None)),
        ("data.name empty", _with(body, name="")),
        ("no data", {}),
        ("no data, the fields under another key", {"audience": body["data"]}),
        ("no data, only 'Data' in another letter case", {"Data": body["data"]}),
        (
            "no data.name, only 'Name' in another letter case",
            {"data": {**_with(body, name=DROP)["data"], "Name": name}},
        ),
    ]
    what, faulty = draw(st.sampled_from(shapes))
    return Fault(1303, what, faulty)


# VAL-1304: a name of the wrong JSON type, or with one or more forbidden characters.
@st.composite
def invalid_names(draw: st.DrawFn, fresh: Fresh, *, update: bool = False) -> Fault:
    body = {"data": {"name": ""}} if update else draw(create_bodies(fresh))
    if draw(st.integers(0, 4)) == 0:
        value = draw(wrong_json_types())
        return Fault(1304, f"data.name of type {type(value).__name__}", _with(body, name=value))
    # The fresh part stays whole, so a name a faulty server keeps can still be found and removed;
    # the forbidden characters go before it (a trimming server) or anywhere after it.
    base = fresh()
    lead, tail = "", draw(st.text(ALLOWED, max_size=max(0, NAME_LIMIT - 6 - len(base))))
    for _ in range(draw(st.integers(1, 3))):
        character = draw(forbidden_characters())
        position = draw(st.integers(-1, len(tail)))
        if position < 0:
            lead = character + lead
        else:
            tail = tail[:position] + character + tail[position:]
    name = lead + base + tail
    return Fault(
        1304, f"data.name {json.dumps(name)} with a forbidden character", _with(body, name=name)
    )


# VAL-1305: allowed characters only, one past the limit to hundreds past it.
@st.composite
def long_names(draw: st.DrawFn, fresh: Fresh, *, update: bool = False) -> Fault:
    body = {"data": {"name": ""}} if update else draw(create_bodies(fresh))
    length = draw(past(NAME_LIMIT, 600))
    tail = draw(st.text(ALLOWED, min_size=length, max_size=length))
    name = pad(fresh(), tail, length)
    return Fault(1305, f"data.name of {length} allowed characters", _with(body, name=name))


# VAL-1306: no channel, or a null one (ROB-04: null is absent).
@st.composite
def missing_channels(draw: st.DrawFn, fresh: Fresh) -> Fault:
    body = draw(create_bodies(fresh))
    channel = body["data"]["channel"]
    what, faulty = draw(
        st.sampled_from(
            [
                ("no data.channel", _with(body, channel=DROP)),
                ("data.channel null", _with(body, channel=None)),
                (
                    "no data.channel, only 'Channel' in another letter case",
                    {"data": {**_with(body, channel=DROP)["data"], "Channel": channel}},
                ),
            ]
        )
    )
    return Fault(1306, what, faulty)


# VAL-1307: any channel but the three, exact and upper case.
@st.composite
def invalid_channels(draw: st.DrawFn, fresh: Fresh) -> Fault:
    body = draw(create_bodies(fresh))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        value: Any = draw(st.sampled_from(NEAR_CHANNELS))
    elif kind == 1:
        value = draw(st.text(max_size=20).filter(lambda text: text not in CHANNELS))
    elif kind == 2:
        value = draw(wrong_json_types() | st.lists(channels(), min_size=1, max_size=3))
    else:
        value = draw(channels()).lower()
    # An empty channel is present, so 1307; a server reading it as absent (1306) is not wrong enough to fail.
    also = frozenset({1306}) if value == "" else frozenset()
    return Fault(1307, f"data.channel {json.dumps(value)}", _with(body, channel=value), also)


# VAL-1308: 11 valid contacts, to many more.
@st.composite
def too_many_contacts(draw: st.DrawFn, fresh: Fresh) -> Fault:
    count = draw(past(CONTACTS_LIMIT, 60))
    body = draw(create_bodies(fresh, contacts=contact_lists(count, count)))
    return Fault(1308, f"{count} valid contacts", body)


def _one_bad_contact(draw: st.DrawFn, fresh: Fresh, bad: dict[str, Any]) -> dict[str, Any]:
    """A valid create body whose contacts (10 at most) include ``bad`` somewhere."""
    contacts = draw(contact_lists(0, CONTACTS_LIMIT - 1))
    contacts.insert(draw(st.integers(0, len(contacts))), bad)
    return draw(create_bodies(fresh, contacts=st.just(contacts)))


# VAL-1353: a contact without number.
@st.composite
def contacts_without_number(draw: st.DrawFn, fresh: Fresh) -> Fault:
    bad = draw(
        st.fixed_dictionaries(
            {}, optional={"first_name": person_names(), "last_name": person_names()}
        )
    )
    if draw(st.booleans()):
        # null: read as absent (1353) or as a number of the wrong form (1354).
        return Fault(
            1353,
            "a contact with a null number",
            _one_bad_contact(draw, fresh, {**bad, "number": None}),
            frozenset({1354}),
        )
    return Fault(1353, "a contact without number", _one_bad_contact(draw, fresh, bad))


# VAL-1354: a number that is not '+' and 7-15 digits, 45 characters at most.
@st.composite
def bad_numbers(draw: st.DrawFn, fresh: Fresh) -> Fault:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        number = draw(st.sampled_from(BAD_NUMBER_SHAPES))
    elif kind == 1:
        number = draw(st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True))  # no '+'
    elif kind == 2:
        number = draw(st.from_regex(r"\+[0-9]{0,6}", fullmatch=True))  # too few digits
    elif kind == 3:
        number = draw(st.from_regex(r"\+[0-9]{16,44}", fullmatch=True))  # too many digits
    else:
        digits = draw(st.from_regex(r"[0-9]{7,15}", fullmatch=True))
        position = draw(st.integers(0, len(digits)))
        # Decimal digits of other scripts are left out: whether they count as digits is not settled.
        character = draw(
            (forbidden_characters() | st.sampled_from("+*#.")).filter(
                lambda c: unicodedata.category(c) != "Nd"
            )
        )
        number = "+" + digits[:position] + character + digits[position:]
    bad = {"number": number}
    # An empty number may be read as a missing one (1353).
    also = frozenset({1353}) if number == "" else frozenset()
    return Fault(
        1354, f"a contact number {json.dumps(number)}", _one_bad_contact(draw, fresh, bad), also
    )


# VAL-1355: a number longer than 45 characters.
@st.composite
def long_numbers(draw: st.DrawFn, fresh: Fresh) -> Fault:
    length = draw(past(NUMBER_LIMIT, 400))
    number = "+" + draw(st.text(string.digits, min_size=length - 1, max_size=length - 1))
    return Fault(
        1355,
        f"a contact number of {length} characters",
        _one_bad_contact(draw, fresh, {"number": number}),
    )


def create_faults(fresh: Fresh) -> dict[int, st.SearchStrategy[Fault]]:
    """Every fault a create body can have, by code."""
    return {
        1303: missing_names(fresh),
        1304: invalid_names(fresh),
        1305: long_names(fresh),
        1306: missing_channels(fresh),
        1307: invalid_channels(fresh),
        1308: too_many_contacts(fresh),
        1353: contacts_without_number(fresh),
        1354: bad_numbers(fresh),
        1355: long_numbers(fresh),
    }


def update_faults(fresh: Fresh) -> dict[int, st.SearchStrategy[Fault]]:
    """Every fault an update body can have, by code (an update reads only the name)."""
    return {
        1303: missing_names(fresh, update=True),
        1304: invalid_names(fresh, update=True),
        1305: long_names(fresh, update=True),
    }
