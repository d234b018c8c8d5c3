"""Hypothesis strategies for requests with exactly one fault of the contract's code table.

Each strategy starts from a valid request and breaks one thing, exploring the whole class
of that fault (VAL-00): every kind of forbidden character, names from one character too
long to hundreds, every shape of malformed identifier. The valid parts it builds are the
boundaries the other way round, for the tests that check a server is not too strict.

Names come from a ``fresh`` callable (the run's :class:`~conformance.ledger.Namer`), so every
name the suite sends is unique and carries the run prefix, and no two of them differ only in
letter case (the contract leaves case-sensitivity of uniqueness open).
"""

from __future__ import annotations

import json
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from conformance.client import CHANNELS
from conformance.rules import ERROR_CODES

Fresh = Callable[[], str]

NAME_LIMIT = 45  # VAL-1305
CONTACTS_LIMIT = 10  # VAL-1308
NUMBER_LIMIT = 45  # VAL-1355
ID_LIMIT = 64  # section 1: ^[A-Za-z0-9_-]{1,64}$

# VAL-1304: the only characters a name may have; section 1: the only ones an identifier may have.
ALLOWED = string.ascii_letters + string.digits + "-_"

# Characters that look allowed to a careless check: Python's isalnum() and \w, NFKC
# normalisation, trimming, case folding, or a regex whose '$' matches before a newline.
LOOKALIKES = (
    "é",
    "ß",
    "Ø",
    "ñ",
    "ж",
    "Ω",
    "ı",
    "ﬁ",  # letters outside ASCII
    "²",
    "٣",
    "７",
    "Ａ",  # digits and letters that isdigit(), \d or NFKC accept
    "\u200b",
    "\u00ad",
    "\u0301",
    "\u200f",
    "\ufeff",  # invisible: zero width, soft hyphen, combining, RTL mark, BOM
    "\u00a0",
    "\u2003",
    "\u3000",  # spaces outside ASCII
    "\n",
    "\r",
    "\t",
)
SPACES = " \t\n\r\x0b\x0c"
PUNCTUATION = "".join(character for character in string.punctuation if character not in "-_")


def forbidden_characters() -> st.SearchStrategy[str]:
    """One character that no name may contain, drawn from every kind (VAL-1304)."""
    return st.one_of(
        st.sampled_from(SPACES),
        st.sampled_from(PUNCTUATION),
        st.sampled_from(LOOKALIKES),
        st.just("\x00"),
        st.characters(categories=["Cc"]),  # control characters
        st.characters(
            categories=["L", "N"], min_codepoint=0x80
        ),  # letters and digits outside ASCII
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
        st.characters(exclude_characters=ALLOWED, exclude_categories=["Cs"]),  # anything else
    )


# -- valid parts -------------------------------------------------------------------------


def valid_names(fresh: Fresh, *, length: int | None = None) -> st.SearchStrategy[str]:
    """A fresh name of allowed characters in any mix of case, up to 45 (or exactly ``length``)."""
    tail = st.text(ALLOWED, min_size=NAME_LIMIT, max_size=NAME_LIMIT)
    if length is None:
        return st.tuples(tail, st.integers(0, NAME_LIMIT)).map(
            lambda drawn: _pad(fresh(), drawn[0], drawn[1])
        )
    return tail.map(lambda text: _pad(fresh(), text, length))


def _pad(base: str, tail: str, length: int) -> str:
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


def wrong_json_types(*, excluding: tuple[type, ...] = ()) -> st.SearchStrategy[Any]:
    """JSON values of every type but string and null (and but ``excluding``)."""
    kinds: list[st.SearchStrategy[Any]] = []
    if bool not in excluding:
        kinds.append(st.booleans())
    if int not in excluding:
        kinds.append(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
    if list not in excluding:
        kinds.append(st.lists(st.text(ALLOWED, max_size=8) | st.integers(), max_size=3))
    if dict not in excluding:
        kinds.append(
            st.dictionaries(
                st.sampled_from(["name", "value", "channel"]),
                st.text(ALLOWED, max_size=8),
                max_size=2,
            )
        )
    return st.one_of(kinds)


# -- faults ------------------------------------------------------------------------------


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


def _past(limit: int, far: int) -> st.SearchStrategy[int]:
    """Sizes over ``limit``: one past it most often (an off-by-one is the likeliest fault), up to ``far``."""
    return st.just(limit + 1) | st.integers(limit + 1, limit + 3) | st.integers(limit + 1, far)


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
    length = draw(_past(NAME_LIMIT, 600))
    tail = draw(st.text(ALLOWED, min_size=length, max_size=length))
    name = _pad(fresh(), tail, length)
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


NEAR_CHANNELS = (
    "sms",
    "Sms",
    "viber",
    "Viber",
    "whatsapp",
    "WhatsApp",
    "Whatsapp",
    "wHATSAPP",
    "SMS ",
    " SMS",
    "S MS",
    "SMS\n",
    "SMS\x00",
    "VIBER\t",
    "ＳＭＳ",
    "VıBER",
    "SMS,VIBER",
    "EMAIL",
    "RCS",
    "TELEGRAM",
    "VOICE",
    "MMS",
    "WHATS_APP",
)


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
    count = draw(_past(CONTACTS_LIMIT, 60))
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


BAD_NUMBER_SHAPES = (
    "37491234567",
    "+",
    "+1",
    "+123456",
    "+1234567890123456",
    "++37491234567",
    "00374912345678",
    "+374 91 234567",
    "+374-91-234567",
    "+(374)91234567",
    "+3749123456a",
    "+37491234567\n",
    " +37491234567",
    "+37491234567 ",
    "+\u00a037491234567",
    "",
    "+3749123\x004567",
)


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
    length = draw(_past(NUMBER_LIMIT, 400))
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


# -- identifiers (VAL-1301, VAL-1302) ----------------------------------------------------


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

    too_long = _past(ID_LIMIT, 400)
    return st.one_of(
        too_long.flatmap(lambda length: st.text(ALLOWED, min_size=length, max_size=length)),
        with_forbidden(),
    ).filter(lambda text: text not in (".", ".."))


def id_path(identifier: str) -> str:
    """The item path of ``identifier``, every character outside the unreserved set percent-encoded."""
    return "/v1/audiences/" + quote(identifier, safe="")
