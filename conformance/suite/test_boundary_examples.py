"""The table's boundaries seen from the refused side, each tried at every seed (VAL-1304, 1305, 1308).

The code-table properties draw their faults from whole fault classes, so one seed may never
send the one value an off-by-one server gets wrong: a name of 46 characters, 11 contacts, a
name whose only faults are letters outside ASCII. Here each boundary value is an explicit
``@example``, sent at every seed, and Hypothesis adds values past it.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.checks import valid_data
from conformance.checks.client import error_codes
from conformance.contract import facts
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import current
from conformance.verdict.violations import check

RUN = current()
FRESH = RUN.namer.fresh


def expect_refused(response: requests.Response, *, rule: str, code: int, context: str) -> None:
    """The table's answer to one fault: 400, and the row's code among errors[].code."""
    check(
        response.status_code == 400,
        rule,
        expected=f"HTTP 400 with code {code}",
        received=f"HTTP {response.status_code}",
        response=response,
        context=context,
    )
    codes = error_codes(response)
    check(
        code in codes,
        rule,
        expected=f"code {code} among errors[].code",
        received=f"codes {codes}",
        response=response,
        context=context,
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1305")
@given(
    length=st.integers(facts.NAME_LIMIT + 1, facts.NAME_LIMIT + 20),
    filler=st.sampled_from(valid_data.ALLOWED),
)
@example(length=facts.NAME_LIMIT + 1, filler="a")
@example(length=facts.NAME_LIMIT + 1, filler="Z")
@example(length=facts.NAME_LIMIT + 1, filler="-")
def test_a_name_one_past_the_limit_answers_1305(target: Target, length: int, filler: str) -> None:
    """VAL-1305: 46 allowed characters is one too many (the fresh part leads, so a kept audience is swept)."""
    name = FRESH(facts.NAME_LIMIT)[: facts.NAME_LIMIT] + filler * (length - facts.NAME_LIMIT)
    response = target.post(AUDIENCES_PATH, json={"data": {"name": name, "channel": "SMS"}})
    expect_refused(
        response,
        rule="VAL-1305",
        code=1305,
        context=f"create with a name of {length} allowed characters",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-1308")
@given(count=st.integers(facts.CONTACTS_LIMIT + 1, facts.CONTACTS_LIMIT + 10))
@example(count=facts.CONTACTS_LIMIT + 1)
def test_one_contact_past_the_limit_answers_1308(target: Target, count: int) -> None:
    """VAL-1308: 11 valid contacts is one too many."""
    contacts = [{"number": f"+1555{index:07d}"} for index in range(count)]
    response = target.post(
        AUDIENCES_PATH, json={"data": {"name": FRESH(), "channel": "VIBER", "contacts": contacts}}
    )
    expect_refused(
        response, rule="VAL-1308", code=1308, context=f"create with {count} valid contacts"
    )


# Letters and digits outside ASCII that a careless check takes for allowed: str.isalnum() and \w
# accept them all, and 'ı' (dotless i) and 'ſ' (long s) even upper-case to ASCII 'I' and 'S'.
OUTSIDE_ASCII = ("é", "ß", "Ω", "ı", "ſ", "ж", "ñ", "Ø", "٣")


def _with_letters_outside_ascii(test: Any) -> Any:
    for letter in OUTSIDE_ASCII:
        test = example(letter=letter)(test)
    return test


@pytest.mark.writes
@pytest.mark.rule("VAL-1304")
@given(letter=st.characters(categories=["L", "N"], min_codepoint=0x80))
@_with_letters_outside_ascii
def test_a_letter_outside_ascii_answers_1304(target: Target, letter: str) -> None:
    """VAL-1304: a name whose only fault is one letter (or digit) outside ASCII is refused."""
    name = FRESH() + letter
    response = target.post(AUDIENCES_PATH, json={"data": {"name": name, "channel": "WHATSAPP"}})
    expect_refused(
        response,
        rule="VAL-1304",
        code=1304,
        context=f"create with the name {name!r} (U+{ord(letter):04X})",
    )
