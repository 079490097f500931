"""Access tokens: HS256 JWTs signed with BETTER_AUTH_SECRET, verified strictly, explained plainly.

python-jose checks the signature and the registered claims; on top of it every claim is
required and type-checked as RFC 7519 defines it, because python-jose accepts a token without
`exp`, `iss` or `aud` unless told otherwise and coerces `"exp": "123"` or `"iat": true` to numbers.
Each rejection carries a sentence saying why, for the audit log and the doctor, never for clients.

Two limits hold whoever signed a token (a service sharing the secret, or someone who learnt it):
its lifetime (`exp - iat`) may not exceed the configured access lifetime plus the leeway, and its
`iat` may not lie in the future beyond the leeway. A token signed with the previous secret is
refused after BETTER_AUTH_SECRET_PREVIOUS_UNTIL. All three are checked on every cache hit too.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jose import jwk, jwt
from jose.backends.base import Key

from app.settings import Settings

ALGORITHM = "HS256"
TOKEN_TYPE = "access"  # noqa: S105 - the value of the type claim, not a secret
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "nbf", "exp", "jti", "type")
MAX_TOKEN_LENGTH = 4096
# Enough for every active session of a busy single instance; evicting the oldest only costs a
# re-verification.
DEFAULT_CACHE_SIZE = 10_000
_JOSE_OPTIONS = {f"require_{claim}": True for claim in REQUIRED_CLAIMS if claim != "type"}


class InvalidToken(Exception):
    """The token must be rejected; `reason` completes the sentence "The token ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The verified claims of an access token; only `verify` builds these."""

    subject: str
    token_id: str
    issued_at: float
    not_before: float
    expires_at: float
    # The refresh family (login) the token was issued for; None for tokens minted elsewhere.
    session_id: str | None = None

    @classmethod
    def from_payload(cls, claims: dict[str, Any]) -> AccessClaims:
        """Claims from a payload that `claims_problem` found nothing wrong with."""
        return cls(
            subject=claims["sub"],
            token_id=claims["jti"],
            issued_at=claims["iat"],
            not_before=claims["nbf"],
            expires_at=claims["exp"],
            session_id=claims.get("sid"),
        )

    def time_problem(self, now: float, leeway: int, max_lifetime: int) -> str | None:
        """Why the token is not valid at `now`, or None; checked again on every cache hit."""
        if now >= self.expires_at + leeway:
            return f"expired {_duration(now - self.expires_at)} ago"
        if now + leeway < self.not_before:
            return f"is not valid yet: its nbf is {_duration(self.not_before - now)} from now"
        if self.issued_at > now + leeway:
            return f"claims to be issued {_duration(self.issued_at - now)} in the future (iat)"
        lifetime = self.expires_at - self.issued_at
        if lifetime > max_lifetime:
            return (
                f"lives {_duration(lifetime)} (exp - iat), longer than this server's access "
                f"lifetime of {_duration(max_lifetime)} plus leeway"
            )
        return None


def key_id(secret: str) -> str:
    """A public fingerprint of a secret, sent as `kid` so a verifier knows which key to try."""
    return hashlib.sha256(b"kid:" + secret.encode()).hexdigest()[:16]


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def _is_number(value: Any) -> bool:
    # bool is an int in Python but not a NumericDate in JSON.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def claims_problem(claims: Any, issuer: str, audience: str) -> str | None:
    """What is wrong with `claims` apart from time, as a sentence; None when nothing is."""
    if not isinstance(claims, dict):
        return "has a payload that is not a JSON object"
    missing = [claim for claim in REQUIRED_CLAIMS if claim not in claims]
    if missing:
        return f"lacks the required claim(s) {', '.join(missing)}"
    for name in ("iat", "nbf", "exp"):
        if not _is_number(claims[name]):
            return f"has a {name} claim that is not a number of seconds ({claims[name]!r})"
    for name in ("iss", "sub", "jti", "type"):
        if not _is_text(claims[name]):
            return f"has a {name} claim that is not a non-empty string"
    if "sid" in claims and not _is_text(claims["sid"]):
        return "has a sid claim that is not a non-empty string"
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(item, str) for item in audiences):
        return "has an aud claim that is neither a string nor a list of strings"
    if claims["iss"] != issuer:
        return f"has the wrong issuer {claims['iss']!r}; this server expects {issuer!r}"
    if audience not in audiences:
        return f"has the wrong audience {aud!r}; this server expects {audience!r}"
    if claims["type"] != TOKEN_TYPE:
        return f"is a {claims['type']!r} token; only access tokens are accepted here"
    return None


class AccessTokens:
    """Signs access tokens with the current secret and verifies them against the secret set.

    Verified tokens are cached, keyed by the whole token string, so a hot client costs a dict
    lookup; every hit still checks the times and the end of the previous secret against the
    clock. The cache lives and dies with this object, which is built from one secret set: a new
    secret means a new instance and an empty cache.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        secrets_in_use = settings.verification_secrets
        # Keys are built as JWK objects so python-jose never parses a secret as JSON key material.
        self._keys = {key_id(secret): jwk.construct(secret, ALGORITHM) for secret in secrets_in_use}
        self._signing_kid = key_id(secrets_in_use[0])
        self._previous_kid = key_id(secrets_in_use[1]) if len(secrets_in_use) > 1 else None
        self._previous_until = settings.previous_secret_until
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._lifetime = settings.access_token_seconds
        self._leeway = settings.jwt_leeway_seconds
        self._clock = clock
        # Each verified token with the kid that verified it, so hits re-check the previous
        # secret's end.
        self._cache: dict[str, tuple[AccessClaims, str]] = {}
        self._cache_size = cache_size

    @property
    def known_key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def issue(self, subject: str, *, session_id: str | None = None) -> str:
        """A signed access token for `subject`, valid from now for the configured lifetime;
        `session_id` (the refresh family) goes into `sid`."""
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + self._lifetime,
            "jti": secrets.token_urlsafe(16),
            "type": TOKEN_TYPE,
        }
        if session_id is not None:
            claims["sid"] = session_id
        signing_key = self._keys[self._signing_kid]
        return jwt.encode(claims, signing_key, ALGORITHM, headers={"kid": self._signing_kid})

    def verify(self, token: str) -> AccessClaims:
        """The claims of a token that passes every check; raises InvalidToken otherwise."""
        now = self._clock()
        cached = self._cache.get(token)
        if cached is None:
            cached = self._verify_uncached(token)
            if len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]
            self._cache[token] = cached
        claims, kid = cached
        problem = self._time_problem(claims, kid, now)
        if problem:
            self._cache.pop(token, None)
            raise InvalidToken(problem)
        return claims

    def _time_problem(self, claims: AccessClaims, kid: str, now: float) -> str | None:
        retired_at = self._previous_until
        if kid == self._previous_kid and retired_at is not None and now >= retired_at:
            return (
                "was signed with the previous secret, which BETTER_AUTH_SECRET_PREVIOUS_UNTIL "
                f"retired {_duration(now - retired_at)} ago; the client should refresh"
            )
        return claims.time_problem(now, self._leeway, self._lifetime + self._leeway)

    def _verify_uncached(self, token: str) -> tuple[AccessClaims, str]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"is {len(token)} characters long; no access token is that long")
        kid, key = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={**_JOSE_OPTIONS, "leeway": self._leeway},
            )
        # Any failure inside the library, including TypeError or RecursionError on hostile
        # claims, is a rejection: a verifier that can raise anything else can answer 500.
        except Exception as error:
            raise InvalidToken(self._explain(token, error)) from None
        problem = claims_problem(claims, self._issuer, self._audience)
        if problem:
            raise InvalidToken(problem)
        return AccessClaims.from_payload(claims), kid

    def _key_for(self, token: str) -> tuple[str, Key]:
        try:
            header = jwt.get_unverified_header(token)
        except Exception:
            raise InvalidToken("is not a well-formed JWT (three base64url parts)") from None
        algorithm = header.get("alg")
        if algorithm != ALGORITHM:
            raise InvalidToken(f"uses algorithm {algorithm!r}; only {ALGORITHM} is accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self._keys:
            known = " or ".join(repr(item) for item in self._keys)
            raise InvalidToken(
                f"was signed with another secret (kid {kid!r}; this server knows {known}): "
                "the secret was rotated since, or the token belongs to another deployment"
            )
        return kid, self._keys[kid]

    def _explain(self, token: str, error: Exception) -> str:
        if "Signature verification failed" in str(error):
            return (
                "has a signature that does not match: it was altered after signing, or signed "
                "with a different secret that claims the same kid"
            )
        try:
            claims = jwt.get_unverified_claims(token)
        except Exception:
            return "has a payload that is not valid JSON"
        problem = claims_problem(claims, self._issuer, self._audience)
        if problem is None:
            problem = AccessClaims.from_payload(claims).time_problem(
                self._clock(), self._leeway, self._lifetime + self._leeway
            )
        return problem or f"was rejected by python-jose ({type(error).__name__}: {error})"
