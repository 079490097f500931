"""Password hashing with argon2id; callers run it in a worker thread, never on the event loop.

The default cost is RFC 9106's second recommended profile (argon2-cffi's default: 3 passes,
64 MiB, 4 lanes), about 120-160 ms a hash on a small 2-core server. OWASP's minimum (2 passes,
19 MiB, 1 lane) is about 5x cheaper and is the floor production accepts; SECURITY.md explains the
trade-off. Hashes record their parameters, so raising the cost upgrades users as they log in.

At most one hash per CPU runs at a time: the thread pool could otherwise run dozens at once, and
dozens of 64 MiB hashes is a memory-exhaustion attack made of login requests.
"""

from __future__ import annotations

import os
import secrets
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.settings import Settings


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
            return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; with no hash, does the same work and returns False."""
        try:
            with self._slots:
                matches = self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made with other parameters than the configured ones."""
        return self._hasher.check_needs_rehash(password_hash)
