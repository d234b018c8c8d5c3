"""How records look in responses (AUD-01 and the contract's Contact)."""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.types import Scope

from conformance.reference.records import AudienceRecord, ContactRecord

AUDIENCES_PATH = "/v1/audiences"


def api_base_url(scope: Scope) -> str:
    """PAGE-09: the request's own scheme, host and port, plus the prefix the app is mounted under."""
    base = URL(scope={**scope, "path": scope.get("root_path", ""), "query_string": b""})
    return str(base).rstrip("/")


def audience_path(audience_id: str) -> str:
    return f"{AUDIENCES_PATH}/{audience_id}"


def contacts_path(audience_id: str) -> str:
    return f"{AUDIENCES_PATH}/{audience_id}/contacts"


def audience_view(record: AudienceRecord, base_url: str) -> dict[str, object]:
    own = (
        f"{base_url}{AUDIENCES_PATH}/{record.id}"  # audience_path, inlined: a page makes a hundred
    )
    return {
        "id": record.id,
        "account_id": record.account_id,
        "name": record.name,
        "channel": record.channel,
        "create_date": record.create_date,
        "update_date": record.update_date,
        "contacts_count": record.contacts_count,
        "links": {"self": own, "contacts": f"{own}/contacts"},
    }


def contact_view(record: ContactRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "audience_id": record.audience_id,
        "number": record.number,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "create_date": record.create_date,
        "update_date": record.update_date,
    }
