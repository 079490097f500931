"""Fuzzing the token checks and the API: no input makes the verifier raise anything but
InvalidToken, and no generated request makes the API answer 5xx. Bounded to stay fast."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from app.main import create_app
from app.settings import Settings
from app.tokens import REQUIRED_CLAIMS, AccessTokens, InvalidToken, claims_problem

from .conftest import EXAMPLE_ENV, FAST_ARGON2, new_account
from .forge import b64, sign, valid_claims

CLAIM_NAMES = [*REQUIRED_CLAIMS, "extra"]
# Bounded so the whole suite stays under half a minute; CI runs it on every variant, so the
# matrix as a whole tries several times as many cases. Raise these for a longer local hunt.
TOKEN_CASES = 120
API_CASES = 100
FUZZ = settings(
    max_examples=TOKEN_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    return Settings(
        _env_file=EXAMPLE_ENV,
        better_auth_secret=secrets.token_urlsafe(48),
        better_auth_secret_previous=None,
        database_url=f"sqlite:///{database}",
        allow_registration=True,
        **FAST_ARGON2,
    )


@pytest.fixture(scope="module")
def tokens(fuzz_settings: Settings) -> AccessTokens:
    return AccessTokens(fuzz_settings)


@FUZZ
@given(token=st.text(max_size=300))
def test_arbitrary_text_is_only_ever_rejected(tokens: AccessTokens, token: str) -> None:
    with pytest.raises(InvalidToken):
        tokens.verify(token)


@FUZZ
@given(header=json_values, payload=st.binary(max_size=200), signature=st.binary(max_size=40))
def test_arbitrary_token_parts_are_only_ever_rejected(
    tokens: AccessTokens, header: Any, payload: bytes, signature: bytes
) -> None:
    token = f"{b64(json.dumps(header).encode())}.{b64(payload)}.{b64(signature)}"
    with pytest.raises(InvalidToken):
        tokens.verify(token)


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(CLAIM_NAMES), json_values, max_size=4))
def test_correctly_signed_claims_pass_only_when_every_check_holds(
    tokens: AccessTokens, fuzz_settings: Settings, changes: dict[str, Any]
) -> None:
    """Even with the real key, a token passes only if its claims satisfy the strict rules."""
    claims = valid_claims(fuzz_settings, **changes)
    token = sign(claims, fuzz_settings.better_auth_secret.get_secret_value())
    try:
        verified = tokens.verify(token)
    except InvalidToken:
        return
    assert claims_problem(claims, fuzz_settings.jwt_issuer, fuzz_settings.jwt_audience) is None
    assert verified.subject == claims["sub"]


@pytest.fixture(scope="module")
def api(fuzz_settings: Settings) -> FastAPI:
    app = create_app(fuzz_settings)
    yield app
    app.state.services.dispose()


@pytest.fixture(scope="module")
def bearer_headers(api: FastAPI) -> dict[str, str]:
    account = new_account(api)
    return {"Authorization": f"Bearer {api.state.services.tokens.issue(account.id)}"}


def test_api_never_answers_5xx(api: FastAPI, bearer_headers: dict[str, str]) -> None:
    """Positive and negative requests for every operation, with and without a valid token."""
    api_schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    cases = api_schema.as_strategy(GenerationMode.POSITIVE) | api_schema.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(max_examples=API_CASES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def call(case: Any) -> None:
        case.call_and_validate(checks=[not_a_server_error])
        case.call_and_validate(headers=bearer_headers, checks=[not_a_server_error])

    call()
