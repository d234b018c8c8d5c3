"""Reading one page of a list, and resolving its links, as a client would.

A page must have the shape every pagination rule reads (PAGE-01, PAGE-02, PAGE-03, PAGE-06), and
a link must stay on the target (PAGE-09) and be an absolute URL or an absolute path (section 4)
before it is followed; the request path refuses another origin too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeGuard
from urllib.parse import urlsplit

import requests

from conformance.checks.client import body_of
from conformance.checks.walk_model import LINK_NAMES, Item, Page
from conformance.errors import OffTargetError
from conformance.http.adapter import Origin
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation, check

# The rule a malformed link of each kind breaks.
LINK_RULES = {"first": "PAGE-06", "current": "PAGE-06", "previous": "PAGE-03", "next": "PAGE-05"}


def resolve_link(target: Target, page: Page, name: str) -> str:
    """A link of ``page`` resolved as a client would; PAGE-09 unless it stays on the target, then
    the rule of its kind (:data:`LINK_RULES`) unless it is an absolute URL or an absolute path."""
    link = page.links.get(name)
    if link is None:
        raise RuleViolation(
            "PAGE-06",
            expected=f"a '{name}' link",
            received="null",
            context=page.describe(),
            writes_can_cause=False,
        )
    url = target.follow(link, relative_to=page.url)
    origin = Origin.of(url)
    check(
        origin == target.policy.origin,
        "PAGE-09",
        expected=f"links on the target's own scheme, host and port ({target.policy.origin})",
        received=f"'{name}' of {page.describe()} is {link!r}, which resolves to {origin}",
        writes_can_cause=False,
    )
    check(
        is_absolute_link(link),
        LINK_RULES[name],
        expected=f"links.{name} an absolute URL or an absolute path (section 4)",
        received=f"'{name}' of {page.describe()} is {link!r}, a relative reference",
        writes_can_cause=False,
    )
    return url


def fetch(target: Target, url: str, *, link: str) -> requests.Response:
    """GET a resolved link; the request path's own refusal of another origin is PAGE-09 too."""
    try:
        return target.get(url)
    except OffTargetError as error:
        raise RuleViolation(
            "PAGE-09",
            expected="links on the target's own origin",
            received=f"the link {link!r} was refused by the request path: {error}",
            writes_can_cause=False,
        ) from None


def read_page(response: requests.Response, *, via: str, keep: Sequence[str] = ()) -> Page:
    """The page a 200 response holds, with the shape each pagination rule needs."""
    body = body_of(response)
    context = f"the page reached by {via}"
    data = body.get("data") if isinstance(body, dict) else None
    pagination = body.get("pagination") if isinstance(body, dict) else None
    check(
        isinstance(data, list),
        "PAGE-01",
        expected="a 'data' array",
        received=_short(body),
        response=response,
        context=context,
        writes_can_cause=False,
    )
    check(
        isinstance(pagination, dict),
        "PAGE-01",
        expected="a 'pagination' object",
        received=_short(body),
        response=response,
        context=context,
        writes_can_cause=False,
    )
    assert isinstance(data, list) and isinstance(pagination, dict)
    items = []
    for position, raw in enumerate(data):
        has_id = isinstance(raw, dict) and isinstance(raw.get("id"), str)
        check(
            has_id,
            "PAGE-04",
            expected="items with a string 'id' (to tell them apart)",
            received=f"item {position}: {_short(raw)}",
            response=response,
            context=context,
            writes_can_cause=False,
        )
        items.append(Item(raw["id"], tuple((name, raw.get(name)) for name in keep)))
    number, size, total, links = (
        pagination.get(name) for name in ("number", "size", "total", "links")
    )
    check(
        _is_int(size),
        "PAGE-01",
        expected="an integer pagination.size",
        received=_short(size),
        response=response,
        context=context,
        writes_can_cause=False,
    )
    check(
        _is_int(total) and total >= 0,
        "PAGE-02",
        expected="an integer pagination.total >= 0",
        received=_short(total),
        response=response,
        context=context,
        writes_can_cause=False,
    )
    check(
        _is_int(number),
        "PAGE-03",
        expected="an integer pagination.number",
        received=_short(number),
        response=response,
        context=context,
        writes_can_cause=False,
    )
    check(
        isinstance(links, dict),
        "PAGE-06",
        expected="a pagination.links object",
        received=_short(links),
        response=response,
        context=context,
        writes_can_cause=False,
    )
    assert _is_int(number) and _is_int(size) and _is_int(total) and isinstance(links, dict)
    for name, rule in LINK_RULES.items():
        value = links.get(name)
        nullable = name in ("previous", "next")  # PAGE-06: first and current are never null
        is_link = isinstance(value, str) and value != ""
        check(
            is_link or (nullable and value is None),
            rule,
            expected=f"links.{name} a link" + (" or null" if nullable else ""),
            received=_short(value),
            response=response,
            context=context,
            writes_can_cause=False,
        )
    return Page(
        response.url,
        via,
        number,
        size,
        total,
        tuple(items),
        {name: links.get(name) for name in LINK_NAMES},
    )


def is_absolute_link(link: str) -> bool:
    """Section 4: a link is an absolute URL (``http://host/...``) or an absolute path (``/...``).
    A relative reference (``?page_token=x``, ``audiences?...``, ``//host/...``) means something
    else to a client that resolves it against another URL than the page's, so it is refused."""
    try:
        parts = urlsplit(link)
    except ValueError:  # an unclosed '[' of an IPv6 host: no URL at all
        return False
    if parts.scheme:
        return bool(parts.netloc)
    return not parts.netloc and link.startswith("/")


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int  # not bool: JSON true is no page number


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
