"""What this run created, and how it is removed again.

The ledger learns of every audience the suite creates from the responses themselves (any
``201`` to a create, whoever sent it: a property test, schemathesis, a probe), so nothing
slips past it. Names carry the run's prefix so that ``cleanup`` can also find what an
interrupted run left behind. The suite deletes only what it created.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import requests

from conformance.contract.facts import AUDIENCES_PATH, KEY_HEADER, MAX_PAGE_SIZE, NAME_LIMIT
from conformance.errors import RateLimited, TargetError
from conformance.http.listing import listed_items
from conformance.http.target import Target
from conformance.http.transport import describe_connection_error

# Names of every run look like 'acx' + 6 run characters + '_' + the rest (all lower case,
# so two of our names never differ only in letter case: the contract leaves case-sensitivity open).
PREFIX_FAMILY = "acx"
RUN_ID_LENGTH = 6
PREFIX_PATTERN = re.compile(rf"^{PREFIX_FAMILY}[a-z0-9]{{{RUN_ID_LENGTH}}}_")
_ALPHABET = string.ascii_lowercase + string.digits
T = TypeVar("T")


def take_one(counts: Counter[T], item: T) -> None:
    """One ``item`` fewer in ``counts``; at none it leaves, and its place in the order with it."""
    if counts[item] > 1:
        counts[item] -= 1
    else:
        counts.pop(item, None)


def new_run_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RUN_ID_LENGTH))


class Namer:
    """Hands out unique audience names that carry the run prefix."""

    def __init__(self, run_id: str) -> None:
        self.prefix = f"{PREFIX_FAMILY}{run_id}_"
        self.tag = ""  # a worker's own letters after the prefix: workers of one run never pick one name twice
        self._counter = 0
        self._lock = threading.Lock()

    def fresh(self, length: int | None = None) -> str:
        """A new name; with ``length``, padded to exactly that many characters (at least the prefix and a counter)."""
        with self._lock:
            self._counter += 1
            base = f"{self.prefix}{self.tag}{self._counter:04d}"
        if length is None:
            return base
        if length < len(base):
            raise ValueError(f"A name of {length} characters cannot carry the run prefix '{base}'.")
        return base + "x" * (length - len(base))

    def adopt(self, generated: str) -> str:
        """Prefix a generated valid name, keeping it within the contract's 45 characters."""
        return (self.prefix + generated.lower())[:NAME_LIMIT]


@dataclass
class CleanupReport:
    """What the end of a run removed, and what it could not."""

    deleted: int = 0  # audiences of the ledger deleted (or found already gone)
    leftovers_found: int = 0  # audiences with the run's prefix still there after that
    leftovers_deleted: int = 0
    leftovers_remaining: int = 0  # still listed after the sweep deleted them
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """For the terminal and the certificate: a leftover is evidence about the server, not noise."""
        lines = [f"cleanup: deleted {self.deleted} audience(s) this run created"]
        if self.leftovers_found:
            lines.append(
                f"cleanup: {self.leftovers_found} more audience(s) named with this run's prefix were still there "
                f"(the server kept or made what its answers did not report); deleted {self.leftovers_deleted}, "
                f"{self.leftovers_remaining} still listed"
            )
        if self.problems:
            lines.append(
                f"cleanup: {len(self.problems)} problem(s): {', '.join(self.problems[:5])}"
            )
        return lines

    def as_properties(self) -> dict[str, str]:
        return {
            "cleanup_deleted": str(self.deleted),
            "cleanup_leftovers_found": str(self.leftovers_found),
            "cleanup_leftovers_deleted": str(self.leftovers_deleted),
            "cleanup_leftovers_remaining": str(self.leftovers_remaining),
            "cleanup_problems": str(len(self.problems)),
        }


class Ledger:
    """The ids of the audiences this run created, per account key.

    ``owns`` answers for every id the run ever created, deleted since or not: the write guard
    asks it before any request that could change an audience.
    """

    def __init__(self) -> None:
        # Per key, each id with the creates of it the run saw, less the deletes answered 204: a
        # server that gives a deleted id to a new audience may answer that create before the
        # delete comes back, and the id must stay for the cleanup all the same.
        self._created: dict[str, Counter[str]] = {}
        self._ever: set[str] = set()
        self._lock = threading.Lock()

    def observe(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        """Response observer: record any audience a create request brought into being, and
        note one a delete of the run removed."""
        deleted = request.method == "DELETE" and response.status_code == 204
        if not deleted and (request.method != "POST" or response.status_code != 201):
            return  # most answers: nothing to parse
        path = urlsplit(request.url or "").path.rstrip("/")
        key = str(request.headers.get(KEY_HEADER, ""))
        if deleted:
            collection, _, audience_id = path.rpartition("/")
            if collection.endswith(AUDIENCES_PATH) and audience_id:
                self.gone(key, unquote(audience_id))
            return
        if not path.endswith(AUDIENCES_PATH):
            return
        created = created_id(response)
        if created is not None:
            self.adopt(key, created)

    def adopt(self, key: str, audience_id: str) -> None:
        """Record an audience of this run: from a ``201``, or found by the run's prefix at the end."""
        with self._lock:
            self._created.setdefault(key, Counter())[audience_id] += 1
            self._ever.add(audience_id)

    def owns(self, audience_id: str) -> bool:
        with self._lock:
            return audience_id in self._ever

    def gone(self, key: str, audience_id: str) -> None:
        """A delete of the run answered ``204``: the cleanup does not send it again, unless the
        id was created again meanwhile. One that outlived its ``204`` still carries the run's
        prefix, and the sweep finds it."""
        with self._lock:
            take_one(self._created.get(key, Counter()), audience_id)

    def forget(self, key: str, audience_id: str) -> None:
        with self._lock:
            self._created.get(key, Counter()).pop(audience_id, None)

    def created(self, key: str) -> list[str]:
        with self._lock:
            return list(self._created.get(key, Counter()))

    def __len__(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self._created.values())

    def clean(self, targets: list[Target], report: CleanupReport) -> None:
        """Delete what each account created. Already-gone ids count as deleted."""
        for target in targets:
            report.deleted += self._delete_all(target, self.created(target.api_key), report)

    def sweep_own(self, targets: list[Target], prefix: str, report: CleanupReport) -> None:
        """After the ledger's deletes: find what still carries this run's prefix and delete it.

        The prefix is this run's alone (it is looked for anywhere in a name: a refused name may
        carry a character before it), so this touches nothing of anybody else; what it finds
        was made by the run without a ``201`` saying so (a create answered 200, a refused
        create stored anyway, a PUT that created) or outlived a ``204``.
        """
        for target in targets:
            try:
                found = [
                    item for item in iter_audiences(target) if prefix in str(item.get("name", ""))
                ]
            except (requests.RequestException, TargetError, ValueError, AttributeError) as error:
                report.problems.append(
                    f"listing the account to find leftovers: {describe_connection_error(error)}"
                )
                continue
            report.leftovers_found += len(found)
            ids = [str(item["id"]) for item in found]
            for audience_id in ids:
                self.adopt(target.api_key, audience_id)
            report.leftovers_deleted += self._delete_all(target, ids, report)
            if found:
                try:
                    report.leftovers_remaining += sum(
                        1 for item in iter_audiences(target) if prefix in str(item.get("name", ""))
                    )
                except (
                    requests.RequestException,
                    TargetError,
                    ValueError,
                    AttributeError,
                ) as error:
                    report.problems.append(
                        f"listing the account after the sweep: {describe_connection_error(error)}"
                    )

    def _delete_all(self, target: Target, ids: list[str], report: CleanupReport) -> int:
        """Delete ``ids`` together (they are independent); forget each one gone. Returns how
        many are gone; problems are reported in the ids' order."""
        problems = target.together(lambda audience_id: _delete(target, audience_id), ids)
        for audience_id, problem in zip(ids, problems, strict=True):
            if problem:
                report.problems.append(f"{audience_id}: {problem}")
            else:
                self.forget(target.api_key, audience_id)
        return problems.count("")


def _delete(target: Target, audience_id: str) -> str:
    """Delete one audience; what went wrong, or '' when it is gone (already-gone ids included)."""
    try:
        response = target.delete(f"{AUDIENCES_PATH}/{audience_id}")
    except RateLimited:
        return "HTTP 429 to every try (the target throttled the cleanup)"
    except (requests.RequestException, TargetError, OSError) as error:
        return describe_connection_error(error)
    if response.status_code in (204, 404):
        return ""
    return f"HTTP {response.status_code}"


def created_id(response: requests.Response) -> str | None:
    """The id a create's answer gives (None when its body does not say)."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    audience_id = data.get("id") if isinstance(data, dict) else None
    return str(audience_id) if isinstance(audience_id, (str, int)) else None


def iter_audiences(
    target: Target, page_size: int = MAX_PAGE_SIZE, max_pages: int = 10_000
) -> Iterator[dict[str, object]]:
    """Every audience of the account, following ``next``; raises on an answer that is not a page."""
    return listed_items(target, {}, read=_page_body, max_pages=max_pages, page_size=page_size)


def _page_body(response: requests.Response) -> Any:
    response.raise_for_status()
    return response.json()


def iter_prefixed(target: Target) -> Iterator[dict[str, object]]:
    """Every audience of the account whose name carries a run prefix of this suite."""
    return (
        item for item in iter_audiences(target) if PREFIX_PATTERN.match(str(item.get("name", "")))
    )
