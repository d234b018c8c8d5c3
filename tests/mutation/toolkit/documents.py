"""Walking an answer's JSON document: its items, its errors, its links.

The shapes are the contract's (``data``, ``errors``, ``pagination.links``); anything else in a
document is passed over, so a rewrite never fails on an answer it was not meant for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Json = Any


def items_of(document: Json) -> list[dict[str, Any]]:
    """The objects of a ``data`` answer: one audience, or a page of audiences or contacts."""
    data = document.get("data") if isinstance(document, dict) else None
    found = data if isinstance(data, list) else [data]
    return [item for item in found if isinstance(item, dict)]


def errors_of(document: Json) -> list[dict[str, Any]]:
    errors = document.get("errors") if isinstance(document, dict) else None
    return [item for item in errors if isinstance(item, dict)] if isinstance(errors, list) else []


def links_in(document: Json) -> list[dict[str, Any]]:
    """Every ``links`` object of an answer: the pagination's and each audience's."""
    pagination = document.get("pagination") if isinstance(document, dict) else None
    found = [pagination.get("links")] if isinstance(pagination, dict) else []
    found += [item.get("links") for item in items_of(document)]
    return [links for links in found if isinstance(links, dict)]


def edit_links(document: Json, edit: Callable[[str], str]) -> Json:
    for links in links_in(document):
        for name, link in links.items():
            if isinstance(link, str):
                links[name] = edit(link)
    return document
