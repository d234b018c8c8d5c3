"""Mutants of the validation rules (VAL-*): a wrong code, a wrong status, or a refused write
that leaves something behind. Each breaks one rule."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.store import NameTaken, Store
from mutation.catalogue import mutant
from mutation.toolkit.answers import (
    CHANNELS,
    Answer,
    Exchange,
    OnAnswer,
    Rewrite,
    account_of,
    edit_field,
    recoding,
)

# -- VAL-00 and the code table ----------------------------------------------------------------


@mutant("VAL-00", "every validation error answers the generic code 1000 (right status, wrong code)")
def generic_validation_code(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def generic(exchange: Exchange, answer: Answer) -> None:
        for code in answer.codes():
            if 1302 <= code <= 1399:
                answer.recode(code, 1000)

    return Rewrite(create_app(store, keys), on_answer=generic)


@mutant("VAL-1301", "an unknown id answers 400 code 1302, as if it were malformed")
def unknown_id_as_malformed(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def as_malformed(exchange: Exchange, answer: Answer) -> None:
        if answer.status == 404 and 1301 in answer.codes():
            answer.status = 400
            answer.recode(1301, 1302)

    return Rewrite(create_app(store, keys), on_answer=as_malformed)


@mutant(
    "VAL-1301", "a get of an unknown id answers 200 {'data': null} (update and delete answer 404)"
)
def unknown_id_found_empty(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def as_found(exchange: Exchange, answer: Answer) -> None:
        if (
            exchange.method == "GET"
            and len(exchange.segments) == 1
            and answer.status == 404
            and 1301 in answer.codes()
        ):
            answer.status = 200
            answer.set_json({"data": None})

    return Rewrite(create_app(store, keys), on_answer=as_found)


@mutant("VAL-1302", "ids over 64 characters are looked up anyway (404 code 1301)")
def long_ids_looked_up(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def shorten(exchange: Exchange) -> None:
        segments = exchange.segments
        if segments and re.fullmatch(r"[A-Za-z0-9_-]{65,}", segments[0]):
            rest = "/".join(["", "v1", "audiences", "0" * 32, *segments[1:]])
            exchange.scope["path"], exchange.scope["raw_path"] = rest, rest.encode()

    return Rewrite(create_app(store, keys), on_request=shorten)


@mutant("VAL-1303", "a null or empty name answers code 1304, as a name of the wrong form")
def empty_name_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def recode(exchange: Exchange, answer: Answer) -> None:
        if 1303 in answer.codes() and exchange.data().get("name", 0) in (None, ""):
            answer.recode(1303, 1304)

    return Rewrite(create_app(store, keys), on_answer=recode)


@mutant("VAL-1304", "letters outside ASCII are accepted in names (checked with str.isalnum)")
def non_ascii_letters_accepted(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def transliterate(name: Any) -> str | None:
        if (
            isinstance(name, str)
            and not name.isascii()
            and all(c.isalnum() or c in "-_" for c in name)
        ):
            return "".join(c if c.isascii() else "x" for c in name)
        return None

    return Rewrite(create_app(store, keys), on_request=edit_field("name", transliterate))


@mutant("VAL-1305", "name limit off by one: 46 characters accepted")
def name_limit_off_by_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def cut(name: Any) -> str | None:
        return name[:45] if isinstance(name, str) and len(name) == 46 else None

    return Rewrite(create_app(store, keys), on_request=edit_field("name", cut))


@mutant("VAL-1306", "a missing channel answers code 1307, as an invalid one")
def missing_channel_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(create_app(store, keys), on_answer=recoding(1306, 1307))


@mutant("VAL-1307", "channels are matched case-insensitively: 'sms' is accepted")
def channel_case_insensitive(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def upper(channel: Any) -> str | None:
        return (
            channel.upper()
            if isinstance(channel, str) and channel.upper() in CHANNELS and channel not in CHANNELS
            else None
        )

    return Rewrite(create_app(store, keys), on_request=edit_field("channel", upper))


@mutant("VAL-1308", "contacts limit off by one: 11 contacts accepted")
def contacts_limit_off_by_one(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def drop_eleventh(contacts: Any) -> list[Any] | None:
        return contacts[:10] if isinstance(contacts, list) and len(contacts) == 11 else None

    return Rewrite(create_app(store, keys), on_request=edit_field("contacts", drop_eleventh))


@mutant("VAL-1309", "a taken name answers 400 instead of 409")
def taken_name_as_400(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def bad_request(exchange: Exchange, answer: Answer) -> None:
        if answer.status == 409:
            answer.status = 400

    return Rewrite(create_app(store, keys), on_answer=bad_request)


@mutant("VAL-1353", "a contact without number answers code 1354, as a number of the wrong form")
def missing_number_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(create_app(store, keys), on_answer=recoding(1353, 1354))


@mutant("VAL-1354", "contact numbers are never checked against '+' and 7 to 15 digits")
def numbers_unchecked(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def accept(exchange: Exchange) -> None:
        data = exchange.data()
        contacts = data.get("contacts")
        if not isinstance(contacts, list):
            return
        for contact in contacts:
            number = contact.get("number") if isinstance(contact, dict) else None
            if (
                isinstance(number, str)
                and number
                and len(number) <= 45
                and not re.fullmatch(r"\+[0-9]{7,15}", number)
            ):
                contact["number"] = "+1000000"
        exchange.set_data(data)

    return Rewrite(create_app(store, keys), on_request=accept)


@mutant(
    "VAL-1355", "a number over 45 characters answers code 1354 (its length is not checked first)"
)
def long_number_as_invalid(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(create_app(store, keys), on_answer=recoding(1355, 1354))


def stored_when_refused(
    store: Store, keys: Mapping[str, str], name_of: Callable[[Any], str | None]
) -> OnAnswer:
    """An ``on_answer`` hook: a create refused for a too-long name stores an audience all the same,
    named ``name_of(the name sent)`` (nothing when it returns None)."""

    def store_anyway(exchange: Exchange, answer: Answer) -> None:
        data, account = exchange.data(), account_of(exchange, keys)
        kept = name_of(data.get("name"))
        if (
            exchange.method == "POST"
            and not exchange.segments
            and 1305 in answer.codes()
            and account
            and kept
        ):
            channel = data.get("channel") if data.get("channel") in CHANNELS else "SMS"
            try:
                store.create_audience(account, kept, str(channel), ())
            except NameTaken:
                pass

    return store_anyway


@mutant("VAL-01", "a create refused for a too-long name has stored it anyway, cut to 45 characters")
def refused_create_stored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=stored_when_refused(
            store, keys, lambda name: name[:45] if isinstance(name, str) else None
        ),
    )


@mutant(
    "VAL-01",
    "a create refused for a too-long name stores an audience under a name of the server's own, and the refusal carries it",
)
def refused_create_carries_what_it_stored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """Only the lookup of the id the refusal carried shows the audience kept (its name is
    neither the run's nor the same twice): on a private account that is the server's doing,
    whatever evidence of writes the check's looking walk finds."""
    kept = itertools.count(1)

    def store_and_show(exchange: Exchange, answer: Answer) -> None:
        data, account = exchange.data(), account_of(exchange, keys)
        if (
            exchange.method != "POST"
            or exchange.segments
            or 1305 not in answer.codes()
            or not account
        ):
            return
        channel = data.get("channel") if data.get("channel") in CHANNELS else "SMS"
        record = store.create_audience(account, f"kept-{next(kept)}", str(channel), ())
        document = answer.json()
        document["data"] = {"id": record.id, "name": record.name, "channel": record.channel}
        answer.set_json(document)

    return Rewrite(create_app(store, keys), on_answer=store_and_show)


@mutant("VAL-01", "a rename refused for a forbidden character is applied without that character")
def refused_rename_applied(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def rename_anyway(exchange: Exchange, answer: Answer) -> None:
        name, account = exchange.data().get("name"), account_of(exchange, keys)
        if (
            exchange.method == "PUT"
            and 1304 in answer.codes()
            and account
            and isinstance(name, str)
            and exchange.segments
        ):
            cleaned = re.sub(r"[^A-Za-z0-9_-]", "", name)[:45]
            try:
                if cleaned:
                    store.rename_audience(account, exchange.segments[0], cleaned)
            except NameTaken:
                pass

    return Rewrite(create_app(store, keys), on_answer=rename_anyway)


# -- VAL-01 ----------------------------------------------------------------------------------


DRAFT = "draft"


@mutant(
    "VAL-01",
    "a create refused for a too-long name leaves a new audience behind, named 'draft' (the server's own name, not the one sent)",
)
def refused_create_leaves_a_draft(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """Each refused create replaces the account's draft with a new one: a new id under one name of
    the server's own. On a shared account an audience of a name not the run's could be another
    client's; the same name appearing again on every try is the server's doing."""
    drafts: dict[str, str] = {}
    keep = stored_when_refused(store, keys, lambda name: DRAFT)

    def replace_draft(exchange: Exchange, answer: Answer) -> None:
        account = account_of(exchange, keys)
        if (
            account
            and account in drafts
            and exchange.method == "POST"
            and not exchange.segments
            and 1305 in answer.codes()
        ):
            store.delete_audience(account, drafts.pop(account))
        keep(exchange, answer)
        if account:
            found = next(
                (
                    audience.id
                    for audience in store.list_audiences(account, None, 0, 10_000)
                    if audience.name == DRAFT
                ),
                None,
            )
            if found is not None:
                drafts[account] = found

    return Rewrite(create_app(store, keys), on_answer=replace_draft)
