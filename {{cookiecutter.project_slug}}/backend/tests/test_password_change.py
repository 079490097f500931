"""Changing a password: the current one is needed, a wrong one is a 400 (never 401) counted as a
failed login, and success ends every other session, keeps the caller's, voids reset links and
tells the owner by mail."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.errors import WRONG_CURRENT_PASSWORD
from app.password_change import WrongCurrentPassword

from .conftest import Account, AppFactory, AuditCapture, SettingsFactory, bearer, new_account
from .forge import sign, valid_claims
from .lifecycle_support import last_mail, lifecycle_app, mailbox, refreshes, services_of, sign_in

NEW_PASSWORD = "seven blue kites over harbour"


@pytest.fixture
def app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return lifecycle_app(make_settings, make_app, login_max_attempts_per_account=3)


@pytest.fixture
def owner(app: FastAPI) -> Account:
    return new_account(app)


def change(client: TestClient, access_token: str, current: str, new: str = NEW_PASSWORD) -> Any:
    return client.post(
        "/auth/password/change",
        json={"current_password": current, "new_password": new},
        headers=bearer(access_token),
    )


def test_a_change_ends_every_other_session_and_keeps_the_callers(
    app: FastAPI, client: TestClient, owner: Account, audit_log: AuditCapture
) -> None:
    caller, *others = [sign_in(client, owner.email, owner.password).json() for _ in range(3)]
    assert change(client, caller["access_token"], owner.password).status_code == 204
    assert refreshes(client, caller)
    assert not any(refreshes(client, pair) for pair in others)
    assert sign_in(client, owner.email, owner.password).status_code == 401
    assert sign_in(client, owner.email, NEW_PASSWORD).status_code == 200
    mail = last_mail(app, owner.email, "password_changed")
    assert f"{services_of(app).settings.app_base_url}/forgot-password" in mail.text
    changed = audit_log.named("password_changed")
    assert changed == [
        {**changed[0], "user_id": owner.id, "sessions_ended": 2, "kept_caller_session": True}
    ]
    assert len(audit_log.named("session_ended")) == 2


def test_a_wrong_current_password_is_400_and_counts_as_a_failed_login(
    app: FastAPI, client: TestClient, owner: Account, audit_log: AuditCapture
) -> None:
    pair = sign_in(client, owner.email, owner.password).json()
    statuses = []
    for _ in range(3):
        refused = change(client, pair["access_token"], "not the current password")
        statuses.append(refused.status_code)
        if refused.status_code == 400:
            assert refused.json() == WRONG_CURRENT_PASSWORD
            assert "www-authenticate" not in refused.headers
    # The first sign-in took back its own attempt; three failures leave the login limit full.
    assert statuses == [400, 400, 400]
    throttled = change(client, pair["access_token"], owner.password)
    assert throttled.status_code == 429
    assert sign_in(client, owner.email, owner.password).status_code == 429
    assert [event["reason"] for event in audit_log.named("login_failed")] == [
        "wrong current password at a password change"
    ] * 3
    assert refreshes(client, pair)
    assert mailbox(app, owner.email) == []


def test_a_right_password_gives_its_login_attempt_back(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    pair = sign_in(client, owner.email, owner.password).json()
    assert change(client, pair["access_token"], "not the current password").status_code == 400
    assert change(client, pair["access_token"], owner.password).status_code == 204
    second = sign_in(client, owner.email, NEW_PASSWORD).json()
    assert change(client, second["access_token"], NEW_PASSWORD, owner.password).status_code == 204
    assert change(client, second["access_token"], owner.password, NEW_PASSWORD).status_code == 204


def test_a_weak_new_password_is_422_on_new_password_and_changes_nothing(
    client: TestClient, owner: Account
) -> None:
    pair = sign_in(client, owner.email, owner.password).json()
    refused = change(client, pair["access_token"], owner.password, "password1234")
    assert refused.status_code == 422
    (item,) = refused.json()["detail"]
    assert item["loc"] == ["body", "new_password"]
    assert "password1234" not in refused.text
    assert sign_in(client, owner.email, owner.password).status_code == 200


def test_a_token_without_a_session_id_ends_every_session(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    """A token minted by another service with the shared secret names no session of ours."""
    pairs = [sign_in(client, owner.email, owner.password).json() for _ in range(2)]
    settings = services_of(app).settings
    foreign = sign(
        valid_claims(settings, sub=owner.id), settings.better_auth_secret.get_secret_value()
    )
    assert change(client, foreign, owner.password).status_code == 204
    assert not any(refreshes(client, pair) for pair in pairs)


def test_a_change_voids_outstanding_reset_links(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    client.post("/auth/password/forgot", json={"email": owner.email})
    token = last_mail(app, owner.email, "reset_password").token("reset-password")
    pair = sign_in(client, owner.email, owner.password).json()
    assert change(client, pair["access_token"], owner.password).status_code == 204
    body = {"token": token, "new_password": "an old link must not win"}
    assert client.post("/auth/password/reset", json=body).status_code == 400


def test_a_change_needs_an_access_token(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/auth/password/change",
        json={"current_password": owner.password, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 401


def test_password_changes_are_throttled_per_account(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = lifecycle_app(make_settings, make_app, login_max_attempts_per_account=100)
    owner = new_account(app)
    client = TestClient(app)
    pair = sign_in(client, owner.email, owner.password).json()
    statuses = [
        change(client, pair["access_token"], f"guess number {index}").status_code
        for index in range(6)
    ]
    assert statuses == [400] * 5 + [429]


def test_a_change_racing_a_reset_is_refused(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    """The current password was checked against the hash read at the start of the request; a
    reset that lands in between wins, and the change is refused rather than overwriting it."""
    services = services_of(app)
    before = services.accounts.get(owner.id)
    assert before is not None
    client.post("/auth/password/forgot", json={"email": owner.email})
    token = last_mail(app, owner.email, "reset_password").token("reset-password")
    body = {"token": token, "new_password": "the reset got there first"}
    assert client.post("/auth/password/reset", json=body).status_code == 204
    with pytest.raises(WrongCurrentPassword):
        services.password_changes.change(
            before, owner.password, NEW_PASSWORD, client="127.0.0.1", session_id=None
        )
    assert sign_in(client, owner.email, "the reset got there first").status_code == 200
