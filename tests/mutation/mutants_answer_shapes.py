"""Mutants of the answers' shape (DATE-*, AUD-01, JSON-01, ERR-*): dates, fields, media types and
error envelopes written wrong. Each breaks one rule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.clock import DATE_FORMAT
from conformance.reference.store import Store
from mutation.catalogue import mutant
from mutation.toolkit.answers import Answer, Exchange, Rewrite, each_audience, each_error

# -- DATE-01, DATE-02 ------------------------------------------------------------------------------


@mutant("DATE-01", "dates are written ISO 8601 style, with a 'T'")
def dates_with_t(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def iso(item: dict[str, Any]) -> None:
        for name in ("create_date", "update_date"):
            item[name] = str(item[name]).replace(" ", "T")

    return Rewrite(create_app(store, keys), on_answer=each_audience(iso))


@mutant("DATE-02", "dates are the local time of UTC+04:00, labelled UTC")
def dates_in_local_time(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def shift(item: dict[str, Any]) -> None:
        for name in ("create_date", "update_date"):
            item[name] = (datetime.strptime(item[name], DATE_FORMAT) + timedelta(hours=4)).strftime(
                DATE_FORMAT
            )

    return Rewrite(create_app(store, keys), on_answer=each_audience(shift))


# -- AUD-01, JSON-01, ERR-01, ERR-02 ----------------------------------------------------------------


@mutant("AUD-01", "contacts_count is sent as a string")
def count_as_string(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def stringify(item: dict[str, Any]) -> None:
        item["contacts_count"] = str(item.get("contacts_count"))

    return Rewrite(create_app(store, keys), on_answer=each_audience(stringify))


@mutant("AUD-01", "audiences carry no update_date")
def update_date_missing(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=each_audience(lambda item: item.pop("update_date", None)),
    )


@mutant("JSON-01", "successful answers are labelled text/plain")
def success_as_text(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def relabel(exchange: Exchange, answer: Answer) -> None:
        if answer.status < 300 and answer.body:
            answer.set_header(b"content-type", b"text/plain; charset=utf-8")

    return Rewrite(create_app(store, keys), on_answer=relabel)


@mutant("ERR-01", "error codes are sent as strings ('1305')")
def codes_as_strings(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def stringify(item: dict[str, Any]) -> None:
        item["code"] = str(item["code"])

    return Rewrite(create_app(store, keys), on_answer=each_error(stringify))


@mutant("ERR-01", "a 404 answers a flat {'code', 'message'} object, without 'errors'")
def not_found_without_errors(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def flatten(exchange: Exchange, answer: Answer) -> None:
        document = answer.json()
        errors = document.get("errors") if isinstance(document, dict) else None
        if (
            answer.status == 404
            and isinstance(errors, list)
            and errors
            and isinstance(errors[0], dict)
        ):
            answer.set_json({"code": errors[0].get("code"), "message": errors[0].get("message")})

    return Rewrite(create_app(store, keys), on_answer=flatten)


@mutant("ERR-02", "error items carry no timestamp")
def errors_without_timestamp(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys), on_answer=each_error(lambda item: item.pop("timestamp", None))
    )
