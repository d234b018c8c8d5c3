"""Values no field of the contract may hold, by kind: the ingredients of every faulty request.

Forbidden characters of every kind (those a careless check lets through above all), JSON
values of the wrong type, near misses of the three channels and of a number's shape, and
sizes past a limit that favour the off-by-one.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from conformance.checks.valid_data import ALLOWED

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


def past(limit: int, far: int) -> st.SearchStrategy[int]:
    """Sizes over ``limit``: one past it most often (an off-by-one is the likeliest fault), up to ``far``."""
    return st.just(limit + 1) | st.integers(limit + 1, limit + 3) | st.integers(limit + 1, far)


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
