"""Default-deny authentication: every path needs a valid access token unless it is listed public.

Routes cannot forget to ask for a token, because the check happens before routing: an unknown
path without a token is 401, not 404. The verified claims go into `scope["auth"]`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app import audit
from app.errors import not_authenticated
from app.tokens import AccessTokens, InvalidToken

WEBSOCKET_POLICY_VIOLATION = 1008


def bearer_token(scope: Scope) -> str | None:
    """The token of the first `Authorization: Bearer` header, or None."""
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


class AccessTokenMiddleware:
    """Let a request through only with a valid access token or on a public path."""

    def __init__(self, app: ASGIApp, *, tokens: AccessTokens, public_paths: frozenset[str]) -> None:
        self.app = app
        self.tokens = tokens
        self.public_paths = public_paths
        # Rendered once, from the same response the routes use, so every 401 is byte-identical.
        response = not_authenticated()
        self.unauthorized_status = response.status_code
        self.unauthorized_headers = tuple(response.raw_headers)
        self.unauthorized_body = {"type": "http.response.body", "body": response.body}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        try:
            if token is None:
                raise InvalidToken("is missing: no Authorization: Bearer header")
            scope["auth"] = self.tokens.verify(token)
        except InvalidToken as error:
            audit.event("token_rejected", reason=error.reason, path=scope["path"])
            await self._reject(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION})
            return
        # A fresh header list each time: outer layers (CORS) append to it in place.
        await send(
            {
                "type": "http.response.start",
                "status": self.unauthorized_status,
                "headers": list(self.unauthorized_headers),
            }
        )
        await send(self.unauthorized_body)
