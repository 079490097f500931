"""SMTP_URL: which server the mail goes to, how the connection is protected, and who logs in.

`smtp://host:port` is plain text, for a catcher on this machine; `smtp+starttls://` upgrades
with STARTTLS and refuses a server that does not offer it; `smtps://` is TLS from the first
byte. Certificates are always verified. Problems are described without repeating the URL,
which may hold a password.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

Security = Literal["plain", "starttls", "tls"]
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
FORMS = (
    "smtp://127.0.0.1:1025 (a local catcher), smtp+starttls://user:password@host:587 or "
    "smtps://user:password@host:465"
)


class SmtpUrlError(ValueError):
    """SMTP_URL cannot be used; the message says why and never contains the URL."""


@dataclass(frozen=True)
class SmtpUrl:
    """A parsed SMTP_URL. `password` stays out of repr, so it never reaches a log by accident."""

    security: Security
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        """`host:port` for messages, IPv6 hosts in brackets; never the credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """Whether the server is on this machine, where plain text never crosses a network."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_smtp_url(url: str) -> SmtpUrl:
    """The parts of `url`; raises SmtpUrlError with a sentence that says what to write instead."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise SmtpUrlError(f"is not a URL; use {FORMS}") from None
    if parts.scheme not in SCHEMES:
        shown = f"'{parts.scheme}://'" if parts.scheme else "no scheme"
        raise SmtpUrlError(f"has {shown}; use {FORMS}")
    if not parts.hostname:
        raise SmtpUrlError(f"names no host; use {FORMS}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpUrlError(
            "has a path, query or fragment; it is only scheme://[user:password@]host:port"
        )
    security, default_port = SCHEMES[parts.scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if security == "plain" and (username or password):
        raise SmtpUrlError(
            "has a user and password on smtp://, which would send them in clear; use "
            "smtp+starttls:// or smtps://"
        )
    if (username is None) != (password is None):
        raise SmtpUrlError("has a user without a password; write user:password@host")
    return SmtpUrl(security, parts.hostname, port or default_port, username, password)
