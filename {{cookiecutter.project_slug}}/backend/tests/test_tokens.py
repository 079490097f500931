"""Token verification: no token passes with another algorithm, a missing or wrong claim, a bad
signature, an expired or not-yet-valid time, or the wrong type."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from app.settings import Settings
from app.tokens import REQUIRED_CLAIMS, AccessTokens, InvalidToken, key_id

from .conftest import SettingsFactory
from .forge import b64, sign, valid_claims


def secret_of(settings: Settings) -> str:
    return settings.better_auth_secret.get_secret_value()


def rejection(tokens: AccessTokens, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        tokens.verify(token)
    return caught.value.reason


def test_issued_token_verifies_with_every_claim(settings: Settings) -> None:
    tokens = AccessTokens(settings)
    token = tokens.issue("user-42")
    claims = tokens.verify(token)
    assert claims.subject == "user-42"
    assert claims.expires_at - claims.issued_at == settings.access_token_seconds
    payload = jwt.get_unverified_claims(token)
    assert set(payload) == set(REQUIRED_CLAIMS)
    assert jwt.get_unverified_header(token)["kid"] == key_id(secret_of(settings))


def test_forged_valid_token_passes(settings: Settings) -> None:
    """The forging helper is faithful: a correct forgery passes, so rejections below are real."""
    token = sign(valid_claims(settings), secret_of(settings))
    assert AccessTokens(settings).verify(token).subject == "user-1"


def test_alg_none_is_rejected(settings: Settings) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": key_id(secret_of(settings))}
    token = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(valid_claims(settings)).encode())}."
    )
    assert "algorithm 'none'" in rejection(AccessTokens(settings), token)


def test_hs512_is_rejected(settings: Settings) -> None:
    header = {"alg": "HS512", "kid": key_id(secret_of(settings))}
    token = sign(valid_claims(settings), secret_of(settings), header=header, digest=hashlib.sha512)
    assert "algorithm 'HS512'" in rejection(AccessTokens(settings), token)


def test_rs256_is_rejected(settings: Settings) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jwt.encode(
        valid_claims(settings), pem.decode(), "RS256", headers={"kid": key_id(secret_of(settings))}
    )
    assert "algorithm 'RS256'" in rejection(AccessTokens(settings), token)


def test_hs256_signed_with_the_kid_but_not_the_secret_is_rejected(settings: Settings) -> None:
    """A public value (here the kid) used as the HMAC key, the classic confusion attack."""
    kid = key_id(secret_of(settings))
    token = sign(valid_claims(settings), kid, header={"alg": "HS256", "kid": kid})
    assert "does not match" in rejection(AccessTokens(settings), token)


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_missing_claim_is_rejected(settings: Settings, claim: str) -> None:
    claims = valid_claims(settings)
    del claims[claim]
    reason = rejection(AccessTokens(settings), sign(claims, secret_of(settings)))
    assert claim in reason


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"iss": "someone-else"}, "wrong issuer"),
        ({"aud": "another-app"}, "wrong audience"),
        ({"aud": ["another-app", "third"]}, "wrong audience"),
        ({"type": "refresh"}, "only access tokens"),
        ({"exp": "9999999999"}, "exp claim that is not a number"),
        ({"iat": True}, "iat claim that is not a number"),
        ({"nbf": None}, "nbf claim that is not a number"),
        ({"sub": 42}, "sub claim"),
        ({"jti": ""}, "jti claim"),
        ({"iss": ["a"]}, "iss claim"),
        ({"aud": 7}, "aud claim"),
        ({"exp": [1]}, "exp claim"),
    ],
)
def test_wrong_claims_are_rejected(
    settings: Settings, changes: dict[str, Any], expected: str
) -> None:
    token = sign(valid_claims(settings, **changes), secret_of(settings))
    assert expected in rejection(AccessTokens(settings), token)


def test_audience_list_containing_ours_is_accepted(settings: Settings) -> None:
    """RFC 7519 allows aud to be a list; ours must be in it."""
    claims = valid_claims(settings, aud=["other", settings.jwt_audience])
    assert AccessTokens(settings).verify(sign(claims, secret_of(settings))).subject == "user-1"


def test_expired_token_says_how_long_ago(settings: Settings) -> None:
    now = int(time.time())
    claims = valid_claims(settings, iat=now - 900, nbf=now - 900, exp=now - 180)
    assert "expired 3 min ago" in rejection(
        AccessTokens(settings), sign(claims, secret_of(settings))
    )


def test_not_yet_valid_token_is_rejected(settings: Settings) -> None:
    claims = valid_claims(settings, nbf=int(time.time()) + 600)
    assert "not valid yet" in rejection(AccessTokens(settings), sign(claims, secret_of(settings)))


def test_leeway_tolerates_small_skew_only(make_settings: SettingsFactory) -> None:
    settings = make_settings(jwt_leeway_seconds=30)
    now = int(time.time())
    skewed = valid_claims(settings, nbf=now + 10, exp=now - 10)
    assert AccessTokens(settings).verify(sign(skewed, secret_of(settings))).subject == "user-1"
    beyond = valid_claims(settings, exp=now - 120)
    assert "expired" in rejection(AccessTokens(settings), sign(beyond, secret_of(settings)))


def test_other_secret_is_rejected_as_unknown_key(settings: Settings) -> None:
    token = sign(valid_claims(settings), secrets.token_urlsafe(48))
    assert "signed with another secret" in rejection(AccessTokens(settings), token)


def test_other_secret_claiming_our_kid_is_rejected(settings: Settings) -> None:
    header = {"alg": "HS256", "kid": key_id(secret_of(settings))}
    token = sign(valid_claims(settings), secrets.token_urlsafe(48), header=header)
    assert "does not match" in rejection(AccessTokens(settings), token)


def test_missing_kid_is_rejected(settings: Settings) -> None:
    token = sign(valid_claims(settings), secret_of(settings), header={"alg": "HS256"})
    assert "kid None" in rejection(AccessTokens(settings), token)


def test_tampered_payload_is_rejected(settings: Settings) -> None:
    token = AccessTokens(settings).issue("user-1")
    header, _, signature = token.split(".")
    forged = b64(json.dumps(valid_claims(settings, sub="admin")).encode())
    reason = rejection(AccessTokens(settings), f"{header}.{forged}.{signature}")
    assert "does not match" in reason


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9", "x" * 5000, "\u00e9.\u00e9.\u00e9"],
)
def test_garbage_is_rejected(settings: Settings, garbage: str) -> None:
    assert rejection(AccessTokens(settings), garbage)


def test_payload_that_is_not_json_is_explained(settings: Settings) -> None:
    secret = secret_of(settings)
    head = b64(json.dumps({"alg": "HS256", "kid": key_id(secret)}).encode())
    body = b64(b"not json")
    token = sign({}, secret)  # a correctly signed token, then its payload swapped
    reason = rejection(AccessTokens(settings), f"{head}.{body}.{token.split('.')[2]}")
    assert reason


def until(seconds_from_now: float) -> datetime:
    return datetime.fromtimestamp(int(time.time() + seconds_from_now), tz=UTC)


def test_previous_secret_verifies_but_never_signs(make_settings: SettingsFactory) -> None:
    old = make_settings()
    old_token = AccessTokens(old).issue("user-1")
    rotated = make_settings(
        better_auth_secret_previous=old.better_auth_secret.get_secret_value(),
        better_auth_secret_previous_until=until(900),
    )
    tokens = AccessTokens(rotated)
    assert tokens.verify(old_token).subject == "user-1"
    new_header = jwt.get_unverified_header(tokens.issue("user-1"))
    assert new_header["kid"] == key_id(secret_of(rotated))
    after_rotation = make_settings()
    assert "another secret" in rejection(AccessTokens(after_rotation), old_token)


def test_previous_secret_is_refused_after_its_end_even_from_the_cache(
    make_settings: SettingsFactory,
) -> None:
    old = make_settings()
    old_token = AccessTokens(old).issue("user-1")
    rotated = make_settings(
        better_auth_secret_previous=old.better_auth_secret.get_secret_value(),
        better_auth_secret_previous_until=until(60),
    )
    clock = [time.time()]
    tokens = AccessTokens(rotated, clock=lambda: clock[0])
    assert tokens.verify(old_token).subject == "user-1"
    current_token = tokens.issue("user-2")
    clock[0] += 61
    assert "BETTER_AUTH_SECRET_PREVIOUS_UNTIL retired" in rejection(tokens, old_token)
    # Tokens of the current secret are not affected by the end of the previous one.
    assert tokens.verify(current_token).subject == "user-2"
    ended = make_settings(
        better_auth_secret_previous=old.better_auth_secret.get_secret_value(),
        better_auth_secret_previous_until=until(-1),
    )
    assert "retired" in rejection(AccessTokens(ended), old_token)


def test_a_lifetime_longer_than_this_servers_is_refused_whoever_signed_it(
    settings: Settings,
) -> None:
    now = int(time.time())
    ten_years = valid_claims(settings, iat=now, nbf=now, exp=now + 10 * 365 * 86400)
    reason = rejection(AccessTokens(settings), sign(ten_years, secret_of(settings)))
    assert "longer than this server's access lifetime" in reason
    longest = settings.access_token_seconds + settings.jwt_leeway_seconds
    at_the_limit = valid_claims(settings, iat=now, nbf=now, exp=now + longest)
    assert AccessTokens(settings).verify(sign(at_the_limit, secret_of(settings)))


def test_an_iat_in_the_future_is_refused_whoever_signed_it(settings: Settings) -> None:
    now = int(time.time())
    claims = valid_claims(settings, iat=now + 3600, nbf=now, exp=now + 300)
    assert "issued" in rejection(AccessTokens(settings), sign(claims, secret_of(settings)))
    skewed = valid_claims(settings, iat=now + settings.jwt_leeway_seconds, nbf=now, exp=now + 300)
    assert AccessTokens(settings).verify(sign(skewed, secret_of(settings)))


def test_cache_hit_still_checks_issued_at(settings: Settings) -> None:
    """A clock stepped back makes a cached token's iat lie in the future: refused again."""
    now = int(time.time())
    clock = [float(now)]
    tokens = AccessTokens(settings, clock=lambda: clock[0])
    claims = valid_claims(settings, iat=now, nbf=now - 3600, exp=now + 300)
    token = sign(claims, secret_of(settings))
    assert tokens.verify(token)
    clock[0] -= 1800
    assert "in the future" in rejection(tokens, token)


def test_session_id_is_carried_but_never_required(settings: Settings) -> None:
    tokens = AccessTokens(settings)
    assert tokens.verify(tokens.issue("user-1", session_id="family-7")).session_id == "family-7"
    assert tokens.verify(tokens.issue("user-1")).session_id is None
    assert "sid" not in jwt.get_unverified_claims(tokens.issue("user-1"))
    bad = sign(valid_claims(settings, sid=42), secret_of(settings))
    assert "sid claim" in rejection(tokens, bad)


def test_cache_hit_still_checks_expiry(settings: Settings) -> None:
    clock = [time.time()]
    tokens = AccessTokens(settings, clock=lambda: clock[0])
    token = tokens.issue("user-1")
    assert tokens.verify(token).subject == "user-1"
    clock[0] += settings.access_token_seconds + settings.jwt_leeway_seconds + 1
    assert "expired" in rejection(tokens, token)


def test_cache_hit_still_checks_not_before(settings: Settings) -> None:
    clock = [time.time()]
    tokens = AccessTokens(settings, clock=lambda: clock[0])
    token = tokens.issue("user-1")
    tokens.verify(token)
    clock[0] -= 3600
    assert "not valid yet" in rejection(tokens, token)


def test_cache_is_bounded(settings: Settings) -> None:
    tokens = AccessTokens(settings, cache_size=3)
    issued = [tokens.issue(f"user-{index}") for index in range(5)]
    for token in issued:
        tokens.verify(token)
    assert len(tokens._cache) == 3
    assert list(tokens._cache) == issued[2:]
    assert tokens.verify(issued[0]).subject == "user-0"


def test_new_secret_set_starts_with_an_empty_cache(make_settings: SettingsFactory) -> None:
    """A verifier is built per secret set: after a rotation nothing verified before is cached."""
    old = make_settings()
    old_tokens = AccessTokens(old)
    token = old_tokens.issue("user-1")
    old_tokens.verify(token)
    rotated = AccessTokens(make_settings())
    assert rotated._cache == {}
    assert "another secret" in rejection(rotated, token)
