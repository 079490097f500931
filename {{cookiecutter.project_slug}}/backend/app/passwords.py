"""Password hashing with argon2id; callers run it in a worker thread, never on the event loop.

The default cost is RFC 9106's second recommended profile (argon2-cffi's default: 3 passes,
64 MiB, 4 lanes), about 120-160 ms a hash on a small 2-core server. OWASP's minimum (2 passes,
19 MiB, 1 lane) is about 5x cheaper and is the floor production accepts; SECURITY.md explains the
trade-off. Hashes record their parameters, so raising the cost upgrades users as they log in.

Passwords are NFKC-normalised before hashing and verifying, so the same password typed on two
keyboards (a composed or a decomposed `é`, a full-width digit) is the same password.

At most one hash per CPU runs at a time: the thread pool could otherwise run dozens at once, and
dozens of 64 MiB hashes is a memory-exhaustion attack made of login requests.
"""

from __future__ import annotations

import os
import secrets
import threading
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.settings import Settings


def normalise(password: str) -> str:
    """The form a password is hashed and compared in (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True)
class PasswordCheck:
    """Whether a password matched, and whether its stored hash should be replaced."""

    matches: bool
    needs_rehash: bool


class Passwords:
    """Hash, verify and upgrade passwords with the configured argon2id cost."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._slots = threading.BoundedSemaphore(os.cpu_count() or 1)
        # Unknown accounts are checked against this, so they cost what a real account costs.
        self._dummy_hash = self.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(normalise(password))

    def check(self, password_hash: str | None, password: str) -> PasswordCheck:
        """Verify `password`; with no hash, do the same work and report no match.

        A hash made before passwords were normalised holds the password as typed: when the
        normalised form does not match and differs from what was typed, the typed form is tried
        too (for unknown accounts as well, so the cost stays the same), and a match asks for a
        rehash into the normalised form.
        """
        stored = password_hash or self._dummy_hash
        normalised = normalise(password)
        matches = self._verify(stored, normalised)
        typed_form = False
        if not matches and normalised != password:
            matches = typed_form = self._verify(stored, password)
        if password_hash is None or not matches:
            return PasswordCheck(matches=False, needs_rehash=False)
        stale = typed_form or self._hasher.check_needs_rehash(password_hash)
        return PasswordCheck(matches=True, needs_rehash=stale)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches `password_hash`."""
        return self.check(password_hash, password).matches

    def _verify(self, stored: str, password: str) -> bool:
        try:
            with self._slots:
                return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
