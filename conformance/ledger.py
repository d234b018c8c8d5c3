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
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from conformance.target import AUDIENCES_PATH, Target

# Names of every run look like 'acx' + 6 run characters + '_' + the rest (all lower case,
# so two of our names never differ only in letter case: the contract leaves case-sensitivity open).
PREFIX_FAMILY = "acx"
RUN_ID_LENGTH = 6
PREFIX_PATTERN = re.compile(rf"^{PREFIX_FAMILY}[a-z0-9]{{{RUN_ID_LENGTH}}}_")
NAME_LIMIT = 45
_ALPHABET = string.ascii_lowercase + string.digits


def new_run_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RUN_ID_LENGTH))


class Namer:
    """Hands out unique audience names that carry the run prefix."""

    def __init__(self, run_id: str) -> None:
        self.prefix = f"{PREFIX_FAMILY}{run_id}_"
        self._counter = 0
        self._lock = threading.Lock()

    def fresh(self, length: int | None = None) -> str:
        """A new name; with ``length``, padded to exactly that many characters (at least the prefix and a counter)."""
        with self._lock:
            self._counter += 1
            base = f"{self.prefix}{self._counter:04d}"
        if length is None:
            return base
        if length < len(base):
            raise ValueError(f"A name of {length} characters cannot carry the run prefix '{base}'.")
        return base + "x" * (length - len(base))

    def adopt(self, generated: str) -> str:
        """Prefix a generated valid name, keeping it within the contract's 45 characters."""
        return (self.prefix + generated.lower())[:NAME_LIMIT]


class Ledger:
    """The ids of the audiences this run created, per account key."""

    def __init__(self) -> None:
        self._created: dict[str, dict[str, None]] = {}
        self._lock = threading.Lock()

    def observe(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        """Response observer: record any audience a create request brought into being."""
        if request.method != "POST" or response.status_code != 201:
            return
        if not urlsplit(request.url or "").path.rstrip("/").endswith(AUDIENCES_PATH):
            return
        audience_id = _created_id(response)
        key = request.headers.get("X-Dexatel-Key", "")
        if audience_id is not None:
            with self._lock:
                self._created.setdefault(key, {})[audience_id] = None

    def forget(self, key: str, audience_id: str) -> None:
        with self._lock:
            self._created.get(key, {}).pop(audience_id, None)

    def created(self, key: str) -> list[str]:
        with self._lock:
            return list(self._created.get(key, {}))

    def __len__(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self._created.values())

    def clean(self, targets: list[Target]) -> tuple[int, list[str]]:
        """Delete what each account created; returns (deleted, problems). Already-gone ids count as deleted."""
        deleted, problems = 0, []
        for target in targets:
            for audience_id in self.created(target.api_key):
                try:
                    response = target.delete(f"{AUDIENCES_PATH}/{audience_id}")
                except (requests.RequestException, OSError) as error:
                    problems.append(f"{audience_id}: {type(error).__name__}")
                    continue
                if response.status_code in (204, 404):
                    deleted += 1
                    self.forget(target.api_key, audience_id)
                else:
                    problems.append(f"{audience_id}: HTTP {response.status_code}")
        return deleted, problems


def _created_id(response: requests.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    audience_id = data.get("id") if isinstance(data, dict) else None
    return str(audience_id) if isinstance(audience_id, (str, int)) else None


def iter_prefixed(target: Target, page_size: int = 100, max_pages: int = 10_000) -> Iterator[dict[str, object]]:
    """Every audience of the account whose name carries a run prefix of this suite."""
    url: str | None = target.url(AUDIENCES_PATH)
    params: dict[str, object] | None = {"page_size": page_size}
    for _ in range(max_pages):
        if url is None:
            return
        response = target.get(url, params=params)
        response.raise_for_status()
        body = response.json()
        for item in body.get("data", []):
            if isinstance(item, dict) and PREFIX_PATTERN.match(str(item.get("name", ""))):
                yield item
        next_link = (body.get("pagination", {}).get("links", {}) or {}).get("next")
        url = target.follow(next_link, relative_to=response.url) if next_link else None
        params = None


def sweep(target: Target, run_id: str | None = None) -> tuple[int, list[str]]:
    """Delete leftovers of earlier runs (all runs, or one run id) of this account."""
    prefix = f"{PREFIX_FAMILY}{run_id}_" if run_id else None
    doomed = [str(item["id"]) for item in iter_prefixed(target) if prefix is None or str(item.get("name", "")).startswith(prefix)]
    deleted, problems = 0, []
    for audience_id in doomed:
        response = target.delete(f"{AUDIENCES_PATH}/{audience_id}")
        if response.status_code in (204, 404):
            deleted += 1
        else:
            problems.append(f"{audience_id}: HTTP {response.status_code}")
    return deleted, problems
