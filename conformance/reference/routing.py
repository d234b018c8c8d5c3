"""Which resource a path names, read from the raw path so encoded slashes stay in the id.

Every path below ``/v1/audiences/`` is a resource, whatever its id looks like: odd ids then
reach the id check (VAL-1302) instead of falling through to "no such route".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.types import Scope


class Kind(enum.Enum):
    AUDIENCES = "audiences"  # /v1/audiences
    AUDIENCE = "audience"  # /v1/audiences/{id}
    CONTACTS = "contacts"  # /v1/audiences/{id}/contacts


# ROB-02: the methods each resource has, for 405 and its Allow header.
ALLOWED_METHODS: dict[Kind, tuple[str, ...]] = {
    Kind.AUDIENCES: ("GET", "HEAD", "POST"),
    Kind.AUDIENCE: ("GET", "HEAD", "PUT", "DELETE"),
    Kind.CONTACTS: ("GET", "HEAD"),
}


@dataclass(frozen=True)
class Resource:
    kind: Kind
    audience_id: str | None = None  # as sent, not yet checked


def resolve(scope: Scope) -> Resource | None:
    """The resource of the request's path below the mount point, or None for an unknown route."""
    segments = route_segments(scope)
    if segments[:2] != ["v1", "audiences"]:
        return None
    rest = segments[2:]
    if not rest:
        return Resource(Kind.AUDIENCES)
    if len(rest) >= 2 and rest[-1] == "contacts":
        return Resource(Kind.CONTACTS, "/".join(rest[:-1]))
    return Resource(Kind.AUDIENCE, "/".join(rest))


def route_path(scope: Scope) -> str:
    """The decoded path below the mount point (``root_path``), whether or not ``path`` repeats it."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and (path == root_path or path.startswith(root_path + "/")):
        return path[len(root_path) :]
    return path


def route_segments(scope: Scope) -> list[str]:
    """Decoded path segments below the mount point; a '%2F' stays inside its segment."""
    below_mount = route_path(scope)
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes):
        raw_segments = raw_path.decode("latin-1").split("/")
        # The raw path may still carry the mount prefix: find the tail that decodes to the route path.
        for start in range(1, len(raw_segments) + 1):
            tail = raw_segments[start:]
            if unquote("/" + "/".join(tail)) == below_mount:
                return [unquote(segment) for segment in tail]
    return below_mount.split("/")[1:]
