"""Development mode seen from outside this machine: warn loudly, once per process.

ENVIRONMENT defaults to development, which means a non-Secure cookie, public API docs and
migrations at start. That is right on a laptop and wrong on a server, so in development every
request's local address (`scope["server"]`, the interface the connection arrived on) is checked
until one is not a loopback address: then a banner goes to stderr and an audit event is written.
A server bound to 0.0.0.0 but only ever called from this machine stays quiet, as it should.
"""

from __future__ import annotations

import ipaddress
import sys

from starlette.types import ASGIApp, Receive, Scope, Send

from app import audit

BANNER = """
!!! The backend runs with ENVIRONMENT=development and was reached on {host}, which is not this
!!! machine's loopback address. Development mode serves /docs, sets cookies without Secure and
!!! migrates the database at start. On a server, set ENVIRONMENT=production in backend/.env.
"""


def is_exposed(host: str) -> bool:
    """Whether `host` is an IP address other than a loopback one (names are not judged)."""
    try:
        return not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class DevelopmentExposureWarning:
    """Warn once when a development server is reached on a non-loopback address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.warned and scope["type"] in ("http", "websocket"):
            server = scope.get("server")
            if server and isinstance(server[0], str) and is_exposed(server[0]):
                self.warned = True
                print(BANNER.format(host=server[0]), file=sys.stderr, flush=True)
                audit.event("development_mode_exposed", server=server[0])
        await self.app(scope, receive, send)
