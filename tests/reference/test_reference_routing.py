"""Resolving paths to resources: encoded slashes stay in ids, mount prefixes are skipped."""

from __future__ import annotations

import pytest
from starlette.types import Scope

from conformance.reference.routing import Kind, Resource, resolve


def scope(path: str, raw_path: bytes | None = None, root_path: str = "") -> Scope:
    result: Scope = {"type": "http", "path": path, "root_path": root_path, "headers": []}
    if raw_path is not None:
        result["raw_path"] = raw_path
    return result


@pytest.mark.parametrize(
    ("path", "raw_path", "expected"),
    [
        ("/v1/audiences", b"/v1/audiences", Resource(Kind.AUDIENCES)),
        ("/v1/audiences/abc", b"/v1/audiences/abc", Resource(Kind.AUDIENCE, "abc")),
        (
            "/v1/audiences/abc/contacts",
            b"/v1/audiences/abc/contacts",
            Resource(Kind.CONTACTS, "abc"),
        ),
        (
            "/v1/audiences/a/contacts",
            b"/v1/audiences/a%2Fcontacts",
            Resource(Kind.AUDIENCE, "a/contacts"),
        ),
        ("/v1/audiences/a/b", b"/v1/audiences/a/b", Resource(Kind.AUDIENCE, "a/b")),
        ("/v1/audiences/a b", b"/v1/audiences/a%20b", Resource(Kind.AUDIENCE, "a b")),
        ("/v1/audiences/", b"/v1/audiences/", Resource(Kind.AUDIENCE, "")),
        ("/v1/audiences/contacts", b"/v1/audiences/contacts", Resource(Kind.AUDIENCE, "contacts")),
        ("/v1/audiences/abc", None, Resource(Kind.AUDIENCE, "abc")),
        ("/v1", b"/v1", None),
        ("/v1/audiencesx", b"/v1/audiencesx", None),
        ("/", b"/", None),
    ],
)
def test_paths_resolve_to_resources(
    path: str, raw_path: bytes | None, expected: Resource | None
) -> None:
    """Each path names the resource shown; unknown routes resolve to None."""
    assert resolve(scope(path, raw_path)) == expected


@pytest.mark.parametrize(
    ("path", "raw_path"),
    [
        (
            "/api/v1/audiences/a/b",
            b"/api/v1/audiences/a%2Fb",
        ),  # path repeats root_path (Starlette Mount, uvicorn --root-path)
        ("/v1/audiences/a/b", b"/v1/audiences/a%2Fb"),  # path below root_path (older servers)
    ],
)
def test_mount_prefix_is_skipped_in_either_style(path: str, raw_path: bytes) -> None:
    """Below a mount point the resource is the same, and the encoded slash still stays in the id."""
    assert resolve(scope(path, raw_path, root_path="/api")) == Resource(Kind.AUDIENCE, "a/b")


def test_path_equal_to_the_mount_point_is_no_route() -> None:
    """The mount point itself names nothing."""
    assert resolve(scope("/api", b"/api", root_path="/api")) is None
