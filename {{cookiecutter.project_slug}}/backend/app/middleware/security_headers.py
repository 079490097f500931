"""Security headers and a request id on every HTTP answer, from a header list built once."""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import audit

REQUEST_ID_HEADER = b"x-request-id"
HSTS_ONE_YEAR = b"max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add hardening headers and `X-Request-ID`; the id also tags this request's audit lines.

    `Cache-Control: no-store` goes on every answer, not only those carrying tokens: an API's
    answers are per-user, and one rule cannot be forgotten by a new route.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"frame-ancestors 'none'"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            headers.append((b"strict-transport-security", HSTS_ONE_YEAR))
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        marker = audit.request_id.set(request_id)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), *self.headers]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            audit.request_id.reset(marker)
