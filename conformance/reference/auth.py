"""AUTH-01: the key check that runs before routing, validation and every other refusal."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.errors import ApiError, Code, error_response
from conformance.reference.keys import KeyRing

KEY_HEADER = b"x-dexatel-key"
ACCOUNT_STATE = "account_id"  # where the key's account is kept in ``request.state``


class KeyCheckMiddleware:
    """Answers 401 unless the request carries exactly one known X-Dexatel-Key."""

    def __init__(self, app: ASGIApp, keyring: KeyRing) -> None:
        self.app = app
        self.keyring = keyring

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        account = self._account(scope)
        if account is None:
            # AUTH-01: missing, empty, blank or unknown key; the key itself is never echoed or logged.
            refusal = ApiError.one(
                401, Code.UNAUTHORIZED, "A valid X-Dexatel-Key header is required."
            )
            await error_response(refusal, path=scope["path"], method=scope["method"])(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})[ACCOUNT_STATE] = account
        await self.app(scope, receive, send)

    def _account(self, scope: Scope) -> str | None:
        values = [value for name, value in scope["headers"] if name.lower() == KEY_HEADER]
        if len(values) != 1 or not values[0].strip():
            return None
        return self.keyring.account_for(values[0])
