"""Checking identifiers and request bodies against the contract's section 6 table.

Each check reports every faulty field at once (VAL-00 accepts any of several faults' codes)
and nothing is written until a whole body has passed (VAL-01).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from conformance.reference.errors import ApiError, Code, Fault
from conformance.reference.records import NewContact

CHANNELS = ("SMS", "VIBER", "WHATSAPP")
MAX_NAME_LENGTH = 45
MAX_CONTACTS = 10
MAX_NUMBER_LENGTH = 45
# Section 1: a well-formed identifier. [0-9A-Za-z] spelled out: \w and \d also match non-ASCII.
_ID_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NAME_TEXT = re.compile(r"[A-Za-z0-9_-]+")
_NUMBER_TEXT = re.compile(r"\+[0-9]{7,15}")


@dataclass(frozen=True)
class NewAudience:
    name: str
    channel: str
    contacts: tuple[NewContact, ...]


def check_id(audience_id: str) -> str:
    """VAL-1302: a malformed identifier is refused before any lookup."""
    if not _ID_TEXT.fullmatch(audience_id):
        raise ApiError.one(400, Code.MALFORMED_ID, "The audience id is malformed.")
    return audience_id


def check_create(body: object) -> NewAudience:
    """A create body ``{"data": {"name", "channel", "contacts"?}}``, or a 400 naming every fault."""
    data = _data(body)
    faults: list[Fault] = []
    name = _name(data, faults)
    channel = _channel(data, faults)
    contacts = _contacts(data, faults)
    if faults:
        raise ApiError(400, faults)
    assert name is not None and channel is not None and contacts is not None
    return NewAudience(name, channel, contacts)


def check_update(body: object) -> str:
    """An update body ``{"data": {"name"}}``; CRUD-03: any channel or other field is ignored."""
    data = _data(body)
    faults: list[Fault] = []
    name = _name(data, faults)
    if faults:
        raise ApiError(400, faults)
    assert name is not None
    return name


def _data(body: object) -> Mapping[str, object]:
    # VAL-1303: no body, no 'data', or a 'data' that is not an object.
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ApiError.one(400, Code.NAME_MISSING, "'data' with 'data.name' is required.")
    return data


def _name(data: Mapping[str, object], faults: list[Fault]) -> str | None:
    name = data.get("name")
    if name is None or name == "":
        faults.append(
            Fault(Code.NAME_MISSING, "'data.name' is required.")
        )  # VAL-1303, ROB-04: null is absent
    elif not isinstance(name, str) or not _NAME_TEXT.fullmatch(name):
        faults.append(
            Fault(
                Code.NAME_INVALID,
                "'data.name' must be a string of ASCII letters, digits, '-' and '_'.",
            )
        )  # VAL-1304
    elif len(name) > MAX_NAME_LENGTH:
        faults.append(
            Fault(Code.NAME_TOO_LONG, f"'data.name' is longer than {MAX_NAME_LENGTH} characters.")
        )  # VAL-1305
    else:
        return name
    return None


def _channel(data: Mapping[str, object], faults: list[Fault]) -> str | None:
    channel = data.get("channel")
    if channel is None:
        faults.append(
            Fault(Code.CHANNEL_MISSING, "'data.channel' is required.")
        )  # VAL-1306, ROB-04: null is absent
    elif not isinstance(channel, str) or channel not in CHANNELS:
        faults.append(
            Fault(Code.CHANNEL_INVALID, f"'data.channel' must be one of {', '.join(CHANNELS)}.")
        )  # VAL-1307: exact, upper case
    else:
        return channel
    return None


def _contacts(data: Mapping[str, object], faults: list[Fault]) -> tuple[NewContact, ...] | None:
    if "contacts" not in data:
        return ()
    contacts = data["contacts"]
    if not isinstance(contacts, list):
        faults.append(
            Fault(Code.WRONG_TYPE, "'data.contacts' must be an array.")
        )  # ROB-04: null is a wrong type here
        return None
    if len(contacts) > MAX_CONTACTS:
        # VAL-1308; the items themselves are not inspected, so a huge list costs one fault.
        faults.append(
            Fault(Code.TOO_MANY_CONTACTS, f"'data.contacts' has more than {MAX_CONTACTS} items.")
        )
        return None
    before = len(faults)
    checked = [_contact(index, contact, faults) for index, contact in enumerate(contacts)]
    if len(faults) > before:
        return None
    return tuple(contact for contact in checked if contact is not None)


def _contact(index: int, contact: object, faults: list[Fault]) -> NewContact | None:
    where = f"'data.contacts[{index}]"
    if not isinstance(contact, dict):
        faults.append(Fault(Code.WRONG_TYPE, f"{where}' must be an object."))
        return None
    number = _number(contact, where, faults)
    first_name = _optional_text(contact, "first_name", where, faults)
    last_name = _optional_text(contact, "last_name", where, faults)
    if number is None or first_name is None or last_name is None:
        return None
    return NewContact(number, first_name, last_name)


def _number(contact: Mapping[str, object], where: str, faults: list[Fault]) -> str | None:
    number = contact.get("number")
    if number is None:
        faults.append(Fault(Code.NUMBER_MISSING, f"{where}.number' is required."))  # VAL-1353
    elif not isinstance(number, str):
        faults.append(
            Fault(Code.NUMBER_INVALID, f"{where}.number' must be a string.")
        )  # VAL-1354, ROB-04
    elif len(number) > MAX_NUMBER_LENGTH:
        # VAL-1355 before the pattern: a long number is reported as too long, not as malformed.
        faults.append(
            Fault(
                Code.NUMBER_TOO_LONG,
                f"{where}.number' is longer than {MAX_NUMBER_LENGTH} characters.",
            )
        )
    elif not _NUMBER_TEXT.fullmatch(number):
        faults.append(
            Fault(Code.NUMBER_INVALID, f"{where}.number' must be '+' and 7 to 15 digits.")
        )  # VAL-1354
    else:
        return number
    return None


def _optional_text(
    contact: Mapping[str, object], field: str, where: str, faults: list[Fault]
) -> str | None:
    """An optional name: absent or null is stored as ''; it must be text SQLite can store."""
    value = contact.get(field)
    if value is None:
        return ""
    if not isinstance(value, str) or not _is_encodable(value):
        faults.append(
            Fault(Code.WRONG_TYPE, f"{where}.{field}' must be a string of valid Unicode text.")
        )  # ROB-04
        return None
    return value


def _is_encodable(text: str) -> bool:
    """False for lone surrogates, which JSON can carry ('\\ud800') but UTF-8 cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
