"""Encryption of the mail bodies the outbox stores: they hold one-time links.

A link's token is stored only hashed everywhere else, so a copy of the database (a backup, a
read-only leak) must not hand out working links through the outbox either. Bodies are sealed
with AES-256-GCM under a key derived by HKDF-SHA256 from BETTER_AUTH_SECRET, with the outbox id
as associated data (a sealed body copied onto another row does not open). During a rotation a
body sealed under the previous secret still opens; the worker re-seals what it retries under
the current one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32
# Binds the derived key to this one use: the same secret signs tokens, and must never double as
# this key directly.
KEY_INFO = b"outbox mail body encryption v1"


class BodyUnreadable(Exception):
    """No configured secret opens this body: it was sealed under a secret since replaced."""


def _derive(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=KEY_INFO)
    return AESGCM(key.derive(secret.encode()))


class BodyCipher:
    """Seals under the first secret; opens with any of them (the current, then the previous)."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._keys = [_derive(secret) for secret in secrets]

    def seal(self, mail_id: str, text: str, html: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps({"text": text, "html": html}).encode()
        return FORMAT + nonce + self._keys[0].encrypt(nonce, plain, mail_id.encode())

    def open(self, mail_id: str, sealed: bytes) -> tuple[str, str]:
        """The (text, html) parts; raises BodyUnreadable."""
        if not sealed.startswith(FORMAT) or len(sealed) <= len(FORMAT) + NONCE_BYTES:
            raise BodyUnreadable("not a sealed body")
        nonce = sealed[len(FORMAT) : len(FORMAT) + NONCE_BYTES]
        ciphertext = sealed[len(FORMAT) + NONCE_BYTES :]
        for key in self._keys:
            try:
                parts = json.loads(key.decrypt(nonce, ciphertext, mail_id.encode()))
            except InvalidTag:
                continue
            return str(parts["text"]), str(parts["html"])
        raise BodyUnreadable("sealed under a secret that is no longer configured")
