"""Login: identical failures for unknown user and wrong password, throttling with Retry-After,
hash upgrades, and invariant 4 for the audit log (no secret, token or password in it)."""

from __future__ import annotations

import statistics
import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.settings import Settings

from .conftest import (
    Account,
    AppFactory,
    AuditCapture,
    SettingsFactory,
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


def test_unknown_user_and_wrong_password_take_similar_time(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    """With a hash costly enough to dominate (about 10 ms), skipping it would show as ~100x."""
    settings = make_settings(
        argon2_memory_kib=8192,
        login_max_attempts_per_account=100,
        login_max_attempts_per_client=100,
    )
    app = make_app(settings)
    account = new_account(app)
    client = TestClient(app)

    def seconds(username: str) -> float:
        started = time.perf_counter()
        attempt(client, username, "wrong password, long enough")
        return time.perf_counter() - started

    # Alternating the two kinds of attempt exposes both to the same moments of machine load,
    # so a busy spell cannot land on one side only.
    durations: dict[str, list[float]] = {"unknown": [], "wrong": []}
    for _ in range(7):
        durations["unknown"].append(seconds("nobody@example.org"))
        durations["wrong"].append(seconds(account.email))
    unknown = statistics.median(durations["unknown"])
    wrong = statistics.median(durations["wrong"])
    assert 1 / 3 < unknown / wrong < 3


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


def test_success_resets_the_account_counter(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = make_app(make_settings(login_max_attempts_per_account=3))
    account = new_account(app)
    client = TestClient(app)
    for _ in range(2):
        attempt(client, account.email, "wrong password, long enough")
    token_pair(client, account)
    for _ in range(3):
        assert attempt(client, account.email, "wrong password, long enough")[0] == 401


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
