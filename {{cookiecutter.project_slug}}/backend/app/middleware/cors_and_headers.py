"""CORS, security headers and a request id: one layer for what every answer carries.

It is the outermost layer, so 401s and errors carry CORS approval too and preflights are answered
before auth. An allowed origin gets approval (with credentials) on every answer; any other origin
gets no CORS header at all. Header lists are built once at start: a request costs one pass over
its headers and one list of extra headers.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import audit

Headers = tuple[tuple[bytes, bytes], ...]

REQUEST_ID_HEADER = b"x-request-id"
HSTS_ONE_YEAR = b"max-age=31536000; includeSubDomains"
# Request headers a browser may always send (the Fetch standard's CORS-safelisted names).
SAFELISTED_HEADERS = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
VARY_ORIGIN: Headers = ((b"vary", b"Origin"),)


def _security_headers(hsts: bool) -> Headers:
    """Hardening headers for every answer.

    `Cache-Control: no-store` goes on every answer, not only those carrying tokens: an API's
    answers are per-user, and one rule cannot be forgotten by a new route.
    """
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
    return tuple(headers)


def _joined(names: Iterable[str]) -> bytes:
    return ", ".join(names).encode("latin-1")


class CorsAndHeadersMiddleware:
    """Answer CORS preflights; add CORS approval, security headers and `X-Request-ID` to answers.

    The request id also tags this request's audit lines.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allow_origins: Iterable[str],
        allow_methods: Iterable[str],
        allow_headers: Iterable[str],
        expose_headers: Iterable[str],
        max_age: int,
        hsts: bool,
    ) -> None:
        self.app = app
        self.security_headers = _security_headers(hsts)
        self.allow_methods = frozenset(method.encode("latin-1") for method in allow_methods)
        allowed = sorted({*SAFELISTED_HEADERS, *allow_headers}, key=str.lower)
        self.allow_headers = frozenset(name.lower().encode("latin-1") for name in allowed)
        exposed = _joined(expose_headers)
        # Per allowed origin, the headers an ordinary answer and an approved preflight add.
        self.approval: dict[bytes, Headers] = {}
        self.preflight_approval: dict[bytes, Headers] = {}
        for text in allow_origins:
            origin = text.encode("latin-1")
            approved = ((b"access-control-allow-origin", origin), *VARY_ORIGIN)
            credentials = ((b"access-control-allow-credentials", b"true"),)
            self.approval[origin] = (
                *approved,
                *credentials,
                (b"access-control-expose-headers", exposed),
            )
            self.preflight_approval[origin] = (
                *approved,
                *credentials,
                (b"access-control-allow-methods", _joined(sorted(allow_methods))),
                (b"access-control-allow-headers", _joined(allowed)),
                (b"access-control-max-age", str(max_age).encode()),
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = requested_method = requested_headers = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                requested_method = value
            elif name == b"access-control-request-headers":
                requested_headers = value
        request_id = secrets.token_hex(8)
        added = [*self.security_headers, (REQUEST_ID_HEADER, request_id.encode())]
        if origin is not None and requested_method is not None and scope["method"] == "OPTIONS":
            await self._preflight(send, added, origin, requested_method, requested_headers)
            return
        if origin is not None:
            added += self.approval.get(origin, VARY_ORIGIN)
        marker = audit.request_id.set(request_id)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *added]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            audit.request_id.reset(marker)

    async def _preflight(
        self,
        send: Send,
        added: list[tuple[bytes, bytes]],
        origin: bytes,
        method: bytes,
        requested_headers: bytes | None,
    ) -> None:
        """Approve the preflight of an allowed origin, method and headers; refuse it otherwise,
        with no CORS approval header at all (the browser then blocks the real request)."""
        failures = []
        approval = self.preflight_approval.get(origin)
        if approval is None:
            failures.append("origin")
        if method not in self.allow_methods:
            failures.append("method")
        if requested_headers is not None and any(
            name.strip() not in self.allow_headers for name in requested_headers.lower().split(b",")
        ):
            failures.append("headers")
        if approval is None or failures:
            status, body, approval = 400, f"Disallowed CORS {', '.join(failures)}", VARY_ORIGIN
        else:
            status, body = 200, "OK"
        payload = body.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(payload)).encode()),
            *approval,
            *added,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
