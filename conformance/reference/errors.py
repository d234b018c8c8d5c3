"""Refusals and the error envelope every 4xx (and the rare 5xx) answer carries.

    ApiError           raised anywhere a request is refused; carries the status and faults
    error_response     renders an ApiError as {"errors": [...]} (ERR-01, ERR-02)

Codes 13xx are the contract's (section 6); codes 10xx are this server's choice for the
refusals the contract leaves without a code (section 9).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conformance.reference.clock import utc_now_text
from conformance.reference.responses import FastJSONResponse


class Code(enum.IntEnum):
    """Every error code this server answers with."""

    MALFORMED_JSON = 1000
    UNAUTHORIZED = 1001
    METHOD_NOT_ALLOWED = 1002
    PAYLOAD_TOO_LARGE = 1003
    UNSUPPORTED_MEDIA_TYPE = 1004
    INVALID_PAGE_SIZE = 1005
    INVALID_PAGE_TOKEN = 1006
    ROUTE_NOT_FOUND = 1007
    WRONG_TYPE = 1008
    INTERNAL = 1009
    AUDIENCE_NOT_FOUND = 1301
    MALFORMED_ID = 1302
    NAME_MISSING = 1303
    NAME_INVALID = 1304
    NAME_TOO_LONG = 1305
    CHANNEL_MISSING = 1306
    CHANNEL_INVALID = 1307
    TOO_MANY_CONTACTS = 1308
    NAME_TAKEN = 1309
    NUMBER_MISSING = 1353
    NUMBER_INVALID = 1354
    NUMBER_TOO_LONG = 1355


@dataclass(frozen=True)
class Fault:
    """One item of the envelope: a code and a message for people (never echoing input)."""

    code: Code
    message: str


class ApiError(Exception):
    """A refusal: the HTTP status, one or more faults, and any headers the status needs."""

    def __init__(
        self, status: int, faults: Sequence[Fault], *, headers: Mapping[str, str] | None = None
    ) -> None:
        if not faults:
            raise ValueError("An ApiError needs at least one fault (ERR-01).")
        super().__init__(f"{status}: {', '.join(str(int(fault.code)) for fault in faults)}")
        self.status = status
        self.faults = tuple(faults)
        self.headers = dict(headers or {})

    @classmethod
    def one(
        cls, status: int, code: Code, message: str, *, headers: Mapping[str, str] | None = None
    ) -> ApiError:
        """A refusal with a single fault, the common case."""
        return cls(status, [Fault(code, message)], headers=headers)


def error_response(error: ApiError, *, path: str, method: str) -> FastJSONResponse:
    """The envelope: ERR-01 code and message, ERR-02 status, timestamp, path and method."""
    timestamp = utc_now_text()
    items = [
        {
            "code": int(fault.code),
            "message": fault.message,
            "status": error.status,
            "timestamp": timestamp,
            "path": path,
            "method": method,
        }
        for fault in error.faults
    ]
    return FastJSONResponse({"errors": items}, status_code=error.status, headers=error.headers)
