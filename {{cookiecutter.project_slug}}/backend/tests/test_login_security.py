"""Login: identical failures for unknown user and wrong password, throttling with Retry-After,
NFKC passwords, hash upgrades, the transactions a login costs, and no secret, token or password
in the audit log."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

import pytest
from argon2 import Parameters, PasswordHasher, extract_parameters
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from app.settings import Settings

from .conftest import (
    FAST_ARGON2,
    Account,
    AppFactory,
    AuditCapture,
    SettingsFactory,
    browser_login,
    new_account,
    token_pair,
)


def attempt(client: TestClient, username: str, password: str) -> tuple[int, str, dict[str, str]]:
    response = client.post("/auth/token", data={"username": username, "password": password})
    return response.status_code, response.text, dict(response.headers)


def test_unknown_user_and_wrong_password_answer_the_same(
    client: TestClient, account: Account
) -> None:
    unknown = attempt(client, "nobody@example.org", account.password)
    wrong = attempt(client, account.email, "wrong password, long enough")
    assert unknown[0] == wrong[0] == 401
    assert unknown[1] == wrong[1]
    assert unknown[2]["www-authenticate"] == wrong[2]["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "password",
    ["wrong password, long enough", "\uff57rong password in full-width letters"],
    ids=["normalised as typed", "normalised differs from typed"],
)
def test_unknown_user_and_wrong_password_run_the_same_argon2_work(
    client: TestClient, account: Account, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    """The time of a failed login is its argon2 verifications; when an unknown account runs as
    many as a wrong password, against a hash of the same cost, timing cannot tell them apart.
    The structure is checked rather than the clock, which a busy machine makes lie."""
    verified: list[Parameters] = []
    real_verify = PasswordHasher.verify

    def counting_verify(hasher: PasswordHasher, stored: str | bytes, typed: str | bytes) -> bool:
        text_hash = stored.decode() if isinstance(stored, bytes) else stored
        verified.append(extract_parameters(text_hash))
        return real_verify(hasher, stored, typed)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    def verifications(username: str) -> list[Parameters]:
        verified.clear()
        assert attempt(client, username, password)[0] == 401
        return list(verified)

    wrong = verifications(account.email)
    unknown = verifications("nobody@example.org")
    # A password whose NFKC form differs is also tried as typed (for hashes made before
    # normalisation): two verifications on both sides, one otherwise.
    expected = 1 if unicodedata.normalize("NFKC", password) == password else 2
    assert len(wrong) == expected
    assert unknown == wrong


def test_account_is_throttled_with_retry_after_and_cors(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    settings = make_settings(login_max_attempts_per_account=3, login_window_seconds=600)
    app = make_app(settings)
    account = new_account(app)
    client = TestClient(app)
    for _ in range(3):
        assert attempt(client, account.email, "wrong password, long enough")[0] == 401
    origin = settings.cors_origins[0]
    response = client.post(
        "/auth/token",
        data={"username": account.email, "password": account.password},
        headers={"Origin": origin},
    )
    assert response.status_code == 429
    assert 590 <= int(response.headers["retry-after"]) <= 600
    assert audit_log.named("login_throttled")[0]["client"] == "testclient"
    assert response.headers["access-control-allow-origin"] == origin
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()
    # Another account from the same client is not locked by this one's failures.
    assert attempt(client, new_account(app).email, "wrong password, long enough")[0] == 401


def test_a_success_takes_back_its_own_attempt_only(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    """The owner's logins never pile up against the limit, but a success does not wipe the
    failures others counted: signing in does not reopen guessing for strangers."""
    app = make_app(make_settings(login_max_attempts_per_account=3))
    account = new_account(app)
    client = TestClient(app)
    for _ in range(5):
        token_pair(client, account)
    for _ in range(2):
        assert attempt(client, account.email, "wrong password, long enough")[0] == 401
    token_pair(client, account)
    assert attempt(client, account.email, "wrong password, long enough")[0] == 401
    assert attempt(client, account.email, account.password)[0] == 429


def test_client_address_is_throttled_across_accounts(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = make_app(make_settings(login_max_attempts_per_client=4))
    client = TestClient(app)
    statuses = [
        attempt(client, f"u{index}@example.org", "some password 123")[0] for index in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_throttle_window_expires(make_settings: SettingsFactory, make_app: AppFactory) -> None:
    app = make_app(make_settings(login_max_attempts_per_account=1, login_window_seconds=1))
    account = new_account(app)
    client = TestClient(app)
    attempt(client, account.email, "wrong password, long enough")
    assert attempt(client, account.email, account.password)[0] == 429
    time.sleep(1.1)
    assert attempt(client, account.email, account.password)[0] == 200


def test_stale_hash_is_upgraded_on_login(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    old_app = make_app(make_settings())
    account = new_account(old_app)
    stronger = make_settings(argon2_memory_kib=128)
    app = make_app(stronger)
    client = TestClient(app)
    token_pair(client, account)
    assert audit_log.named("password_rehashed")
    with app.state.services.engine.begin() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert "m=128," in stored
    token_pair(client, account)
    assert len(audit_log.named("password_rehashed")) == 1


def test_passwords_are_compared_in_nfkc(app: FastAPI, client: TestClient) -> None:
    """The same password typed as a composed or a decomposed é, or in full-width digits."""
    composed = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e 2024"
    email = "nfkc@example.org"
    app.state.services.accounts.register(email, composed)
    for typed in (
        composed,
        unicodedata.normalize("NFD", composed),
        composed.replace("2024", "\uff12\uff10\uff12\uff14"),
    ):
        assert attempt(client, email, typed)[0] == 200, ascii(typed)
    assert attempt(client, email, "Cafe creme brulee 2024")[0] == 401


def test_a_hash_of_an_unnormalised_password_still_verifies_and_is_upgraded(
    app: FastAPI, client: TestClient, audit_log: AuditCapture
) -> None:
    """Accounts made before passwords were normalised keep working, and move to the NFKC form."""
    typed = unicodedata.normalize("NFD", "R\u00e9sum\u00e9 of a long career 1999")
    email = "legacy@example.org"
    account = app.state.services.accounts.register(email, "placeholder password 1234")
    hasher = PasswordHasher(
        time_cost=FAST_ARGON2["argon2_time_cost"],
        memory_cost=FAST_ARGON2["argon2_memory_kib"],
        parallelism=FAST_ARGON2["argon2_parallelism"],
    )
    legacy_hash = hasher.hash(typed)
    with app.state.services.engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET password_hash = :hash WHERE id = :id"),
            {"hash": legacy_hash, "id": account.id},
        )
    assert attempt(client, email, typed)[0] == 200
    assert audit_log.named("password_rehashed")
    with app.state.services.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert hasher.verify(stored, unicodedata.normalize("NFKC", typed))


def test_a_login_costs_two_transactions_and_a_failure_one(
    app: FastAPI, client: TestClient, account: Account, browser: dict[str, str]
) -> None:
    """Counting (both keys in one statement) and the user lookup share the first transaction;
    the session start, the device reset and any hash upgrade share the second."""
    token_pair(client, account)  # the first attempt of the minute also sweeps old counters
    begun: list[Any] = []

    def count(connection: Any) -> None:
        begun.append(connection)

    engine = app.state.services.engine
    event.listen(engine, "begin", count)
    try:
        browser_login(client, account, browser)
        assert len(begun) == 2
        begun.clear()
        assert attempt(client, account.email, "wrong password, long enough")[0] == 401
        assert len(begun) == 1
    finally:
        event.remove(engine, "begin", count)


def test_audit_log_never_carries_secrets_tokens_or_passwords(
    app: FastAPI,
    client: TestClient,
    account: Account,
    settings: Settings,
    browser: dict[str, str],
    audit_log: AuditCapture,
) -> None:
    pair = token_pair(client, account)
    rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    # A password typed into the email field must not reach the log either.
    attempt(client, account.password, account.password)
    attempt(client, account.email, "wrong password, long enough")
    client.get("/users/me", headers={"Authorization": f"Bearer {pair['access_token']}x"})
    client.post("/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    text = "\n".join(audit_log.lines)
    names = {event["event"] for event in audit_log.events}
    assert {
        "login_succeeded",
        "login_failed",
        "refresh_succeeded",
        "refresh_reuse_detected",
    } <= names
    assert {"token_rejected", "logout"} <= names
    for sensitive in (
        settings.better_auth_secret.get_secret_value(),
        account.password,
        "wrong password, long enough",
        pair["access_token"],
        pair["access_token"].split(".")[2],
        pair["refresh_token"],
        rotated["refresh_token"],
        rotated["access_token"],
    ):
        assert sensitive not in text
    assert account.email not in text


def test_responses_never_echo_the_password(client: TestClient, account: Account) -> None:
    for data in (
        {"username": account.email, "password": "wrong password, long enough"},
        {"username": account.email, "password": "x" * 500},
        {"password": "only a password here"},
    ):
        response = client.post("/auth/token", data=data)
        assert data["password"] not in response.text
