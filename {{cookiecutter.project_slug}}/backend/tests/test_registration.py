"""Registration follows the baked answer; switched off, it is 404 with or without a token. Open,
it is throttled per client and per address before any hash, and refuses guessable passwords.
These tests run it without email verification (`201`/`409`); test_verification.py runs it with."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.settings import Settings
from app.throttle import DEFAULT_POLICIES

from .conftest import AppFactory, AuditCapture, SettingsFactory, bearer, new_account, token_pair

PASSWORD = "correct horse battery staple"
REGISTER = DEFAULT_POLICIES["register"]


@pytest.fixture
def open_app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return make_app(make_settings(allow_registration=True, email_verification="off"))


def count_hashes(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 hash the app computes from now on (the passwords are not kept)."""
    hashed: list[str] = []
    passwords = app.state.services.accounts._passwords
    original = passwords.hash

    def spy(password: str) -> str:
        hashed.append("hash")
        return str(original(password))

    monkeypatch.setattr(passwords, "hash", spy)
    return hashed


def test_register_follows_the_baked_answers(client: TestClient, settings: Settings) -> None:
    response = client.post(
        "/auth/register", json={"email": "new@example.org", "password": PASSWORD}
    )
    if not settings.allow_registration:
        assert response.status_code == 404
    else:
        assert response.status_code == (202 if settings.verification_required else 201)


def test_register_creates_an_account_that_can_log_in(
    open_app: FastAPI, audit_log: AuditCapture
) -> None:
    client = TestClient(open_app)
    response = client.post(
        "/auth/register", json={"email": "Ann@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email"}
    assert body["email"] == "ann@example.org"
    assert audit_log.named("user_registered")[0]["user_id"] == body["id"]
    login = client.post("/auth/token", data={"username": "ANN@example.org", "password": PASSWORD})
    assert login.status_code == 200
    me = client.get("/users/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["email_verified"] is False


def test_register_twice_is_409(open_app: FastAPI) -> None:
    client = TestClient(open_app)
    body = {"email": "dup@example.org", "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 201
    again = client.post("/auth/register", json={**body, "email": "DUP@example.org"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.org", "password": "short"}, "password"),
        ({"email": "a@example.org", "password": "x" * 129}, "password"),
        ({"email": "longname@example.org", "password": "my longname@example.org!"}, "email"),
        ({"email": "a@example.org"}, "password"),
        ({"password": PASSWORD}, "email"),
    ],
)
def test_weak_or_invalid_registration_is_422_without_echoing_input(
    make_settings: SettingsFactory, make_app: AppFactory, body: dict[str, str], field: str
) -> None:
    client = TestClient(make_app(make_settings(allow_registration=True)))
    response = client.post("/auth/register", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(field in " ".join(map(str, item["loc"])) + item["msg"] for item in detail)
    assert "password" not in body or body["password"] not in response.text


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password1234", "very common password"),
        ("aaaaaaaaaaaa", "repeats"),
        ("asdfghjkl;lkj", "keyboard patterns"),
        ("abcdefghijklmnop", "sequence"),
        ("Football2024", "commonly used password"),
        ("12345678901234", "commonly used password"),
        ("annsmith-example", "email address or its name part"),
    ],
)
def test_guessable_passwords_are_refused_saying_why_and_what_passes(
    open_app: FastAPI, audit_log: AuditCapture, password: str, why: str
) -> None:
    client = TestClient(open_app)
    response = client.post(
        "/auth/register", json={"email": "ann.smith@example.org", "password": password}
    )
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert item["loc"] == ["body", "password"]
    assert why in item["msg"]
    assert "four or more unrelated words" in item["msg"]
    assert password not in response.text
    assert audit_log.named("registration_refused")[0]["reason"] == "weak password"


def test_registration_is_throttled_per_client_before_any_hash(
    open_app: FastAPI, monkeypatch: pytest.MonkeyPatch, audit_log: AuditCapture
) -> None:
    client = TestClient(open_app)
    for index in range(REGISTER.per_client):
        body = {"email": f"new{index}@example.org", "password": PASSWORD}
        assert client.post("/auth/register", json=body).status_code == 201
    hashed = count_hashes(open_app, monkeypatch)
    refused = client.post(
        "/auth/register", json={"email": "one-more@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= REGISTER.window_seconds
    assert hashed == []
    assert audit_log.named("register_throttled")
    other = TestClient(open_app, client=("192.0.2.77", 40000))
    assert (
        other.post(
            "/auth/register", json={"email": "one-more@example.org", "password": PASSWORD}
        ).status_code
        == 201
    )


def test_registration_is_throttled_per_address_from_any_client(
    open_app: FastAPI, monkeypatch: pytest.MonkeyPatch, audit_log: AuditCapture
) -> None:
    body: dict[str, Any] = {"email": "taken@example.org", "password": PASSWORD}
    statuses = []
    for index in range(REGISTER.per_account + 1):
        client = TestClient(open_app, client=(f"192.0.2.{index + 1}", 40000))
        if index == REGISTER.per_account:
            hashed = count_hashes(open_app, monkeypatch)
        statuses.append(client.post("/auth/register", json=body).status_code)
    assert statuses == [201] + [409] * (REGISTER.per_account - 1) + [429]
    assert hashed == []
    refusals = audit_log.named("registration_refused")
    assert [event["reason"] for event in refusals] == ["email taken"] * (REGISTER.per_account - 1)


def test_disabled_registration_is_404_with_or_without_a_token(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = make_app(make_settings(allow_registration=False))
    client = TestClient(app)
    body = {"email": "new@example.org", "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 404
    access = token_pair(client, new_account(app))["access_token"]
    assert client.post("/auth/register", json=body, headers=bearer(access)).status_code == 404
    assert "/auth/register" not in client.get("/openapi.json").json()["paths"]
