"""Token forging helpers: build JWTs the way an attacker would, with full control of every part."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from app.settings import Settings
from app.tokens import key_id


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def valid_claims(settings: Settings, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "jti-1",
        "type": "access",
    }
    claims.update(changes)
    return claims


def sign(
    claims: Any,
    secret: str,
    *,
    header: dict[str, Any] | None = None,
    digest: Any = hashlib.sha256,
) -> str:
    """An HMAC-signed JWT with exactly the given header and claims, nothing added or checked."""
    head = header if header is not None else {"alg": "HS256", "typ": "JWT", "kid": key_id(secret)}
    signing_input = f"{b64(json.dumps(head).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"
