"""Forgotten passwords: the same answer for every address, mail only to a real account, and a
reset link that works once, expires, is voided by a newer one, ends every session of the account
and leaves the link usable when the new password is refused."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.errors import LINK_REFUSED
from app.models import OneTimeToken
from app.one_time_links import RESET_PASSWORD, LinkRefused, digest
from app.password_reset import FORGOT_ACCEPTED
from app.throttle import DEFAULT_POLICIES

from .conftest import Account, AppFactory, AuditCapture, SettingsFactory, bearer, new_account
from .lifecycle_support import (
    PASSWORD,
    expire_link,
    last_mail,
    lifecycle_app,
    mailbox,
    new_email,
    register,
    services_of,
    sign_in,
)

NEW_PASSWORD = "seven blue kites over harbour"
FORGOT = DEFAULT_POLICIES["forgot"]


@pytest.fixture
def app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return lifecycle_app(make_settings, make_app)


@pytest.fixture
def owner(app: FastAPI) -> Account:
    return new_account(app)


def forgot(app: FastAPI, client: TestClient, email: str) -> str:
    """Ask for a reset link; the token of the link that arrives."""
    assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
    return last_mail(app, email, "reset_password").token("reset-password")


def reset(client: TestClient, token: str, password: str = NEW_PASSWORD) -> int:
    body = {"token": token, "new_password": password}
    return int(client.post("/auth/password/reset", json=body).status_code)


def test_forgot_answers_the_same_bytes_for_every_address_and_mails_only_accounts(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    pending = new_email()
    register(client, pending)
    before = len(mailbox(app))
    answers = [
        client.post("/auth/password/forgot", json={"email": address})
        for address in (new_email(), owner.email.upper(), pending)
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert {answer.content for answer in answers} == {answers[0].content}
    assert answers[0].json() == {"detail": FORGOT_ACCEPTED}
    assert [(mail.to, mail.purpose) for mail in mailbox(app)[before:]] == [
        (owner.email, "reset_password"),
        (pending, "reset_password"),
    ]
    mail = last_mail(app, owner.email, "reset_password")
    assert f"{services_of(app).settings.app_base_url}/reset-password#token=" in mail.text
    assert "30 minutes" in mail.text


def test_a_reset_sets_the_password_and_ends_every_session(
    app: FastAPI, client: TestClient, owner: Account, audit_log: AuditCapture
) -> None:
    sessions = [sign_in(client, owner.email, owner.password).json() for _ in range(2)]
    token = forgot(app, client, owner.email)
    assert reset(client, token) == 204
    assert sign_in(client, owner.email, owner.password).status_code == 401
    assert sign_in(client, owner.email, NEW_PASSWORD).status_code == 200
    for pair in sessions:
        refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 401
    done = audit_log.named("password_reset_done")
    assert done == [{**done[0], "user_id": owner.id, "sessions_ended": 2}]
    assert [event["reason"] for event in audit_log.named("session_ended")] == ["password reset"] * 2
    assert audit_log.named("password_reset_requested")[0]["user_id"] == owner.id
    assert token not in "\n".join(audit_log.lines)


def test_a_reset_link_works_once(app: FastAPI, client: TestClient, owner: Account) -> None:
    token = forgot(app, client, owner.email)
    assert reset(client, token) == 204
    again = client.post(
        "/auth/password/reset", json={"token": token, "new_password": "yet another long phrase"}
    )
    assert again.status_code == 400
    assert again.json() == LINK_REFUSED
    assert sign_in(client, owner.email, NEW_PASSWORD).status_code == 200


def test_an_expired_reset_link_is_refused(app: FastAPI, client: TestClient, owner: Account) -> None:
    token = forgot(app, client, owner.email)
    expire_link(app, token)
    assert reset(client, token) == 400
    assert sign_in(client, owner.email, owner.password).status_code == 200


def test_a_newer_reset_link_voids_the_older_one(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    first = forgot(app, client, owner.email)
    second = forgot(app, client, owner.email)
    assert reset(client, first) == 400
    assert reset(client, second) == 204


def test_a_reset_voids_every_other_reset_and_verification_link(
    app: FastAPI, client: TestClient
) -> None:
    email = new_email()
    register(client, email)
    verification = last_mail(app, email, "verify_email").token("verify-email")
    first = forgot(app, client, email)
    user = services_of(app).accounts.find(email)
    assert user is not None
    # A second live reset link: issuing one voids the others, so two can only meet when two
    # issues race; write it directly.
    other = "a-second-live-reset-link"
    with services_of(app).session_factory.begin() as session:
        now = time.time()
        session.add(
            OneTimeToken(
                token_hash=digest(other),
                purpose=RESET_PASSWORD,
                user_id=user.id,
                created_at=now,
                expires_at=now + 600,
            )
        )
    assert reset(client, first) == 204
    assert reset(client, other) == 400
    assert client.post("/auth/verify-email", json={"token": verification}).status_code == 400


def test_a_refused_new_password_leaves_the_link_usable(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    token = forgot(app, client, owner.email)
    refused = client.post(
        "/auth/password/reset", json={"token": token, "new_password": "password1234"}
    )
    assert refused.status_code == 422
    (item,) = refused.json()["detail"]
    assert item["loc"] == ["body", "new_password"]
    assert "too easy to guess" in item["msg"]
    assert "password1234" not in refused.text
    assert reset(client, token) == 204


def test_a_bad_link_is_refused_before_the_password_is_looked_at(
    client: TestClient,
) -> None:
    """A weak password with a bad link is still a 400: the link decides first."""
    body = {"token": "made-up", "new_password": "short"}
    response = client.post("/auth/password/reset", json=body)
    assert response.status_code == 400
    assert response.json() == LINK_REFUSED


def test_a_reset_proves_the_mailbox_and_verifies_the_address(
    app: FastAPI, client: TestClient
) -> None:
    email = new_email()
    register(client, email)
    assert sign_in(client, email, PASSWORD).status_code == 403
    assert reset(client, forgot(app, client, email)) == 204
    signed_in = sign_in(client, email, NEW_PASSWORD)
    assert signed_in.status_code == 200
    me = client.get("/users/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.json()["email_verified"] is True


def test_of_concurrent_resets_with_one_link_exactly_one_succeeds(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    token = forgot(app, client, owner.email)
    resets = services_of(app).password_resets
    racers = 6
    together = threading.Barrier(racers)

    def use(index: int) -> str:
        together.wait()
        try:
            resets.reset(token, f"racer number {index} picks a phrase", client=f"192.0.2.{index}")
        except LinkRefused:
            return "refused"
        return f"racer number {index} picks a phrase"

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(use, range(racers)))
    winners = [outcome for outcome in outcomes if outcome != "refused"]
    assert len(winners) == 1
    assert sign_in(client, owner.email, winners[0]).status_code == 200


def test_forgot_is_throttled_per_address_before_any_lookup(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = lifecycle_app(make_settings, make_app)
    owner = new_account(app)
    for email in (owner.email, new_email()):
        statuses = [
            TestClient(app, client=(f"192.0.2.{index + 1}", 40000))
            .post("/auth/password/forgot", json={"email": email})
            .status_code
            for index in range(FORGOT.per_account + 1)
        ]
        assert statuses == [202] * FORGOT.per_account + [429]
    assert len(mailbox(app, owner.email)) == FORGOT.per_account
