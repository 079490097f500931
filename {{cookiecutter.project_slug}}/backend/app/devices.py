"""Device cookies: a browser's proof that it signed in to an account before (OWASP's pattern).

After a successful browser login the backend gives the browser an entry for that account: a
random nonce and an HMAC-SHA256, under a key derived from BETTER_AUTH_SECRET, over the nonce and
the SHA-256 of the normalised email. A later login for the same account that presents a valid
entry is counted against that device's own budget, so strangers who exhaust the account's budget
for untrusted clients cannot lock its owner out of a browser the owner has used before.

One cookie holds up to MAX_ENTRIES entries (a browser may sign in to several accounts), newest
first. Nothing is stored on the server; an entry cannot be forged without the key, nor moved to
another account. Rotating the secret changes the key, so every browser falls back to the
untrusted budget until its next successful sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

MAX_ENTRIES = 5
NONCE_BYTES = 16
ENTRY_SEPARATOR = "~"
# Longer cookies are not ours: ignored whole rather than parsed.
MAX_COOKIE_LENGTH = 1024
_ENTRY = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")


class Devices:
    """Issue and recognise device entries with a key of their own."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def recognise(self, cookie: str | None, account: str) -> str | None:
        """The nonce of the entry in `cookie` that is valid for `account`, or None."""
        for entry in _entries(cookie):
            nonce, _, tag = entry.partition(".")
            if hmac.compare_digest(tag, self._tag(nonce, account)):
                return nonce
        return None

    def enrol(self, cookie: str | None, account: str) -> str:
        """The cookie after a successful sign-in to `account`: its entry first (the same nonce
        when the browser already had one), then the newest other entries the browser held."""
        nonce = self.recognise(cookie, account) or _new_nonce()
        mine = f"{nonce}.{self._tag(nonce, account)}"
        others = [entry for entry in _entries(cookie) if not entry.startswith(f"{nonce}.")]
        return ENTRY_SEPARATOR.join([mine, *others][:MAX_ENTRIES])

    def _tag(self, nonce: str, account: str) -> str:
        account_digest = hashlib.sha256(account.encode()).hexdigest()
        mac = hmac.new(self._key, f"{nonce}\0{account_digest}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def _new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def _entries(cookie: str | None) -> list[str]:
    """The well-formed entries of `cookie`, at most MAX_ENTRIES of them."""
    if not cookie or len(cookie) > MAX_COOKIE_LENGTH:
        return []
    entries = [entry for entry in cookie.split(ENTRY_SEPARATOR) if _ENTRY.fullmatch(entry)]
    return entries[:MAX_ENTRIES]
