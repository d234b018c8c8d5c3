"""Legal variants of order and identifiers: audiences listed by name, and UUID identifiers.

Section 9 leaves both open ("any stable order: oldest first, newest first, by name...", "the form
of identifiers within section 1's pattern (UUIDs, hex, numbers...)"). A suite that passes only
the reference's creation order or its 32 hexadecimal digits asks more than the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Scope

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord
from conformance.reference.store import Store
from mutation.catalogue import legal_variant
from mutation.toolkit.answers import AUDIENCES, rewrite_json, rewrite_scope
from mutation.toolkit.documents import Json, edit_links, errors_of, items_of
from mutation.toolkit.stores import EVERYTHING, StoreProxy, over

# -- order: by name ----------------------------------------------------------------------------

NAME_BYTES = 64  # more than a name can hold (45 characters): every name's position is distinct


def name_position(name: str) -> int:
    """A position that sorts as the name does (byte order), for the reference's keyset paginator.
    It is large (up to 512 bits), and the paginator's tokens hold it as a JSON integer."""
    return int.from_bytes(name.encode("utf-8")[:NAME_BYTES].ljust(NAME_BYTES, b"\0"), "big")


class ByName(StoreProxy):
    """Audiences listed by name, still paged by keyset: a page holds the names after the last one
    of the page before, so a walk without writes in between is stable (PAGE-07) and complete."""

    def _by_name(self, account_id: str, channel: str | None) -> list[AudienceRecord]:
        rows = self.store.list_audiences(account_id, channel, 0, EVERYTHING)
        return sorted(
            (row._replace(seq=name_position(row.name)) for row in rows), key=lambda row: row.seq
        )

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        return [row for row in self._by_name(account_id, channel) if row.seq > after_seq][:limit]

    def audience_seq_before(
        self, account_id: str, channel: str | None, up_to_seq: int, skip: int
    ) -> int | None:
        earlier = [
            row.seq for row in reversed(self._by_name(account_id, channel)) if row.seq <= up_to_seq
        ]
        return earlier[skip] if skip < len(earlier) else None


@legal_variant("lists audiences ordered by name (keyset pagination over the names)")
def ordered_by_name(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(ByName, store, keys)


# -- identifiers: decimal numbers ------------------------------------------------------------

HEX_ID = re.compile(r"[0-9a-f]{32}")
DECIMAL_ID = re.compile(r"0|[1-9][0-9]{0,38}")
ID_IN_PATH = re.compile(r"(/v1/audiences/)([0-9a-f]{32})(?![A-Za-z0-9_-])")


def decimal_of(hex_id: str) -> str:
    return str(int(hex_id, 16))


def hex_of(decimal: str) -> str | None:
    """The reference's id for a decimal one this variant gave out; None for any other text."""
    if DECIMAL_ID.fullmatch(decimal) and int(decimal) < 2**128:
        return f"{int(decimal):032x}"
    return None


def ids_to_hex(scope: Scope) -> Scope:
    """The id segment of /v1/audiences/{id}[/contacts], as the reference knows it (raw and decoded)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    segments = raw.split(b"/")
    if (
        not raw.startswith(AUDIENCES.encode() + b"/")
        or (known := hex_of(segments[3].decode("latin-1"))) is None
    ):
        return scope
    head = f"{AUDIENCES}/{segments[3].decode()}"  # digits only, so the decoded path starts alike
    segments[3] = known.encode()
    path = f"{AUDIENCES}/{known}{scope['path'][len(head) :]}"
    return {**scope, "path": path, "raw_path": b"/".join(segments), "sent_path": scope["path"]}


def ids_written_as(convert: Callable[[str], str]) -> Callable[[Scope, Json], Json]:
    """An answer rewrite: every reference id (in items and links) written as ``convert`` makes it."""

    def rewrite(scope: Scope, document: Json) -> Json:
        for item in items_of(document):
            for name in ("id", "audience_id"):
                if isinstance(item.get(name), str) and HEX_ID.fullmatch(item[name]):
                    item[name] = convert(item[name])
        edit_links(
            document,
            lambda link: ID_IN_PATH.sub(
                lambda found: found.group(1) + convert(found.group(2)), link
            ),
        )
        for error in errors_of(document):
            error["path"] = scope.get("sent_path", scope["path"])  # the path as the client sent it
        return document

    return rewrite


ids_to_decimal = ids_written_as(decimal_of)


@legal_variant("identifiers are decimal numbers (up to 39 digits), for audiences and contacts")
def numeric_ids(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_scope(rewrite_json(create_app(store, keys), ids_to_decimal), ids_to_hex)


# -- identifiers: UUIDs ------------------------------------------------------------------------

UUID_ID = re.compile(r"([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})")


def uuid_of(hex_id: str) -> str:
    """The reference's 32 hexadecimal digits, written as a UUID (8-4-4-4-12)."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def uuids_to_hex(scope: Scope) -> Scope:
    """A UUID in the id segment of /v1/audiences/{id}[/contacts] becomes the reference's id; any
    other segment, a bare 32-digit one included, goes on as sent (and is not found)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    segments = raw.split(b"/")
    if not raw.startswith(AUDIENCES.encode() + b"/"):
        return scope
    sent = segments[3].decode("latin-1")
    if UUID_ID.fullmatch(sent):
        known = sent.replace("-", "")
    elif HEX_ID.fullmatch(sent):
        known = (
            "0" * 31 + "g"
        )  # the reference's own form is no id of this server: well-formed, absent
    else:
        return scope
    segments[3] = known.encode()
    path = f"{AUDIENCES}/{known}{scope['path'][len(AUDIENCES) + 1 + len(sent) :]}"
    return {**scope, "path": path, "raw_path": b"/".join(segments), "sent_path": scope["path"]}


@legal_variant("identifiers are UUIDs (36 characters with hyphens), for audiences and contacts")
def uuid_ids(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_scope(
        rewrite_json(create_app(store, keys), ids_written_as(uuid_of)), uuids_to_hex
    )
