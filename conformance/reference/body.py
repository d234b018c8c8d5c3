"""Reading a create or update body: media type (415), size (413), then JSON (400). ROB-02."""

from __future__ import annotations

import json

from starlette.requests import ClientDisconnect, Request

from conformance.reference.errors import ApiError, Code

MAX_BODY_BYTES = 1024 * 1024


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/*+json``, parameters such as charset allowed."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_json_body(request: Request) -> object:
    """The parsed body, or None when there is none (which validation reports as missing data)."""
    content_type = request.headers.get("content-type", "").strip()
    if content_type and not is_json_media_type(content_type):
        raise ApiError.one(
            415, Code.UNSUPPORTED_MEDIA_TYPE, "The body must be sent as application/json."
        )
    raw = await _read_limited(request)
    if not raw.strip():
        return None
    return parse_json(raw)


def parse_json(raw: bytes) -> object:
    """Strict JSON (no NaN or Infinity); ROB-01: every way of failing is a 400, never a 5xx."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (
        ValueError,
        RecursionError,
    ):  # ValueError covers bad syntax, bad UTF-8 and oversized integers
        raise ApiError.one(400, Code.MALFORMED_JSON, "The body is not valid JSON.") from None


def _refuse_constant(name: str) -> object:
    raise ValueError(f"'{name}' is not JSON")


async def _read_limited(request: Request) -> bytes:
    """Read at most MAX_BODY_BYTES, by declared length and by bytes actually streamed (chunked bodies)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_BODY_BYTES:
                raise _too_large()
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError.one(
            400, Code.MALFORMED_JSON, "The body ended before it was complete."
        ) from None
    return b"".join(chunks)


def _too_large() -> ApiError:
    return ApiError.one(
        413, Code.PAYLOAD_TOO_LARGE, f"The body is larger than {MAX_BODY_BYTES} bytes."
    )
