"""Keys for one purpose each, derived from BETTER_AUTH_SECRET, so that no two uses share a key.

Access tokens are signed with the secret itself (other services verify them with it); everything
else the backend signs or keys (device cookies, throttle counters) uses a key derived here with
HKDF-SHA256 (RFC 5869), whose `info` names the purpose: a leak of one derived key tells nothing
about the secret or the other keys.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for `purpose` (a fixed label such as "device cookies") from `secret`."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())
