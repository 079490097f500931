"""Email verification: registration answers 202 alike for every address, the link proves the
address once, newer links void older ones, unverified accounts cannot sign in, and a stranger who
registered someone else's address first keeps nothing once its owner registers."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.errors import EMAIL_NOT_VERIFIED, LINK_REFUSED
from app.one_time_links import LinkRefused
from app.passwords import Passwords
from app.settings import SettingsError, load_settings
from app.throttle import DEFAULT_POLICIES
from app.verification import REGISTRATION_ACCEPTED, RESEND_ACCEPTED

from .conftest import (
    EXAMPLE_ENV,
    AppFactory,
    AuditCapture,
    SettingsFactory,
    bearer,
    new_account,
)
from .lifecycle_support import (
    OTHER_PASSWORD,
    PASSWORD,
    expire_link,
    last_mail,
    lifecycle_app,
    mailbox,
    new_email,
    register,
    registered_and_verified,
    services_of,
    sign_in,
)

REGISTER = DEFAULT_POLICIES["register"]


@pytest.fixture
def app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return lifecycle_app(make_settings, make_app)


def verify(client: TestClient, token: str) -> int:
    return int(client.post("/auth/verify-email", json={"token": token}).status_code)


def test_registration_answers_the_same_bytes_for_new_taken_and_pending_addresses(
    app: FastAPI, client: TestClient
) -> None:
    owned = new_account(app)
    pending = new_email()
    register(client, pending)
    fresh = new_email()
    answers = [
        register(client, fresh),
        register(client, owned.email, OTHER_PASSWORD),
        register(client, pending),
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert {answer.content for answer in answers} == {answers[0].content}
    assert answers[0].json() == {"detail": REGISTRATION_ACCEPTED}
    assert [mail.purpose for mail in mailbox(app, fresh)] == ["verify_email"]
    assert [mail.purpose for mail in mailbox(app, owned.email)] == ["account_exists"]
    assert [mail.purpose for mail in mailbox(app, pending)] == ["verify_email", "verify_email"]
    # The owner's note leads to a password reset and changes nothing.
    note = last_mail(app, owned.email, "account_exists")
    assert f"{services_of(app).settings.app_base_url}/forgot-password" in note.text
    assert sign_in(client, owned.email, owned.password).status_code == 200


def test_an_unverified_account_cannot_sign_in_until_its_link_is_opened(
    app: FastAPI, client: TestClient, browser: dict[str, str], audit_log: AuditCapture
) -> None:
    email = new_email()
    register(client, email)
    refused = sign_in(client, email, PASSWORD)
    assert refused.status_code == 403
    assert refused.json() == EMAIL_NOT_VERIFIED
    wrong = sign_in(client, email, OTHER_PASSWORD)
    unknown = sign_in(client, new_email(), PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    from_browser = client.post(
        "/auth/login", data={"username": email, "password": PASSWORD}, headers=browser
    )
    assert from_browser.status_code == 403
    assert "set-cookie" not in from_browser.headers

    mail = last_mail(app, email, "verify_email")
    link = f"{services_of(app).settings.app_base_url}/verify-email#token="
    assert link in mail.text
    assert "24 hours" in mail.text
    token = mail.token("verify-email")
    assert verify(client, token) == 204
    signed_in = sign_in(client, email, PASSWORD)
    assert signed_in.status_code == 200
    me = client.get("/users/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.json()["email_verified"] is True
    user_id = me.json()["id"]
    assert audit_log.named("verification_sent")[0]["user_id"] == user_id
    assert audit_log.named("email_verified")[0]["user_id"] == user_id
    assert audit_log.named("login_refused")[0]["reason"] == "email not verified"
    assert token not in "\n".join(audit_log.lines)


def test_a_verification_link_works_once_and_every_refusal_reads_the_same(
    app: FastAPI, client: TestClient
) -> None:
    email = new_email()
    register(client, email)
    token = last_mail(app, email, "verify_email").token("verify-email")
    assert verify(client, token) == 204
    again = client.post("/auth/verify-email", json={"token": token})
    refusals = [
        again,
        client.post("/auth/verify-email", json={"token": "not-a-token"}),
        client.post("/auth/verify-email", json={"token": ""}),
        client.post("/auth/verify-email", json={"token": "x" * 300}),
    ]
    assert {response.status_code for response in refusals} == {400}
    assert {response.content for response in refusals} == {again.content}
    assert again.json() == LINK_REFUSED


def test_an_expired_link_is_refused_and_proves_nothing(app: FastAPI, client: TestClient) -> None:
    email = new_email()
    register(client, email)
    token = last_mail(app, email, "verify_email").token("verify-email")
    expire_link(app, token)
    response = client.post("/auth/verify-email", json={"token": token})
    assert response.status_code == 400
    assert response.json() == LINK_REFUSED
    assert sign_in(client, email, PASSWORD).status_code == 403


def test_a_newer_link_voids_the_older_ones(app: FastAPI, client: TestClient) -> None:
    email = new_email()
    register(client, email)
    first = last_mail(app, email, "verify_email").token("verify-email")
    assert client.post("/auth/verify-email/resend", json={"email": email}).status_code == 202
    second = last_mail(app, email, "verify_email").token("verify-email")
    assert second != first
    assert verify(client, first) == 400
    assert verify(client, second) == 204


def test_of_concurrent_uses_of_one_link_exactly_one_succeeds(app: FastAPI) -> None:
    client = TestClient(app)
    email = new_email()
    register(client, email)
    token = last_mail(app, email, "verify_email").token("verify-email")
    verification = services_of(app).verification
    racers = 6
    together = threading.Barrier(racers)

    def use(index: int) -> str:
        together.wait()
        try:
            verification.verify(token, client=f"192.0.2.{index}")
        except LinkRefused:
            return "refused"
        return "verified"

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(use, range(racers)))
    assert sorted(outcomes) == ["refused"] * (racers - 1) + ["verified"]


def test_resend_answers_the_same_for_every_address_and_mails_only_a_pending_one(
    app: FastAPI, client: TestClient
) -> None:
    owned = new_account(app)
    pending = new_email()
    register(client, pending)
    before = len(mailbox(app))
    answers = [
        client.post("/auth/verify-email/resend", json={"email": address})
        for address in (new_email(), owned.email, pending.upper())
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert {answer.content for answer in answers} == {answers[0].content}
    assert answers[0].json() == {"detail": RESEND_ACCEPTED}
    assert [(mail.to, mail.purpose) for mail in mailbox(app)[before:]] == [
        (pending, "verify_email")
    ]


def test_registering_again_with_the_same_password_is_asking_again(
    app: FastAPI, client: TestClient
) -> None:
    email = new_email()
    register(client, email)
    first = last_mail(app, email, "verify_email").token("verify-email")
    register(client, email.upper())
    second = last_mail(app, email, "verify_email").token("verify-email")
    assert verify(client, first) == 400
    assert verify(client, second) == 204
    assert sign_in(client, email, PASSWORD).status_code == 200


def test_a_stranger_who_registered_an_address_first_keeps_nothing(
    app: FastAPI, client: TestClient, audit_log: AuditCapture
) -> None:
    """Account pre-hijacking: the stranger's password is discarded when the owner registers;
    only a reset through the owner's mailbox gives the account a password again."""
    victim = new_email()
    register(client, victim, OTHER_PASSWORD)  # the stranger
    strangers_link = last_mail(app, victim, "verify_email").token("verify-email")
    register(client, victim, PASSWORD)  # the owner
    assert [mail.purpose for mail in mailbox(app, victim)] == ["verify_email", "account_exists"]
    assert verify(client, strangers_link) == 400
    # Discarded, not merely unverified: the stranger's password no longer even matches.
    assert sign_in(client, victim, OTHER_PASSWORD).status_code == 401
    assert sign_in(client, victim, PASSWORD).status_code == 401
    refusal = audit_log.named("registration_refused")[-1]
    assert refusal["reason"] == "email taken by an unverified account; its password was discarded"

    # Whatever the stranger does next, a verified address does not bring a password back.
    client.post("/auth/verify-email/resend", json={"email": victim})
    assert verify(client, last_mail(app, victim, "verify_email").token("verify-email")) == 204
    assert sign_in(client, victim, OTHER_PASSWORD).status_code == 401

    assert client.post("/auth/password/forgot", json={"email": victim}).status_code == 202
    reset = last_mail(app, victim, "reset_password").token("reset-password")
    chosen = "a new password only the owner knows"
    answer = client.post("/auth/password/reset", json={"token": reset, "new_password": chosen})
    assert answer.status_code == 204
    assert sign_in(client, victim, chosen).status_code == 200
    assert sign_in(client, victim, OTHER_PASSWORD).status_code == 401


def test_a_contest_ends_the_sessions_an_unverified_account_held(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    """Accounts registered while verification was off may be unverified and signed in."""
    relaxed = lifecycle_app(make_settings, make_app, email_verification="off")
    email = new_email()
    assert register(TestClient(relaxed), email).status_code == 201
    pair = sign_in(TestClient(relaxed), email, PASSWORD).json()
    client = TestClient(lifecycle_app(make_settings, make_app, email_verification="required"))
    register(client, email, OTHER_PASSWORD)
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401


def test_registration_is_throttled_per_address_whatever_the_address_holds(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, audit_log: AuditCapture
) -> None:
    owned = new_account(app)
    for email in (new_email(), owned.email):
        statuses = [
            register(TestClient(app, client=(f"192.0.2.{index + 1}", 40000)), email).status_code
            for index in range(REGISTER.per_account + 1)
        ]
        assert statuses == [202] * REGISTER.per_account + [429]
    hashed: list[str] = []
    original = Passwords.hash

    def spy(self: Passwords, password: str) -> str:
        hashed.append("hash")
        return original(self, password)

    monkeypatch.setattr(Passwords, "hash", spy)
    assert register(TestClient(app), owned.email).status_code == 429
    assert hashed == []
    assert audit_log.named("register_throttled")


def test_verification_attempts_are_throttled_per_client(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = lifecycle_app(make_settings, make_app, throttle_client_limit_multiplier=1)
    client = TestClient(app)
    limit = DEFAULT_POLICIES["verify"].per_client
    statuses = [verify(client, f"guess-{index}") for index in range(limit + 1)]
    assert statuses == [400] * limit + [429]


def test_a_verified_account_made_by_registration_has_every_right(
    app: FastAPI, client: TestClient
) -> None:
    account = registered_and_verified(app, client)
    assert sign_in(client, account.email, account.password).status_code == 200


def test_without_verification_the_verify_paths_are_not_served(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = lifecycle_app(make_settings, make_app, email_verification="off")
    client = TestClient(app)
    assert client.post("/auth/verify-email", json={"token": "x"}).status_code == 404
    resend = client.post("/auth/verify-email/resend", json={"email": new_email()})
    assert resend.status_code == 404
    email = new_email()
    assert register(client, email).status_code == 201
    assert mailbox(app) == []
    assert sign_in(client, email, PASSWORD).status_code == 200


def test_concurrent_registrations_of_one_new_address_make_one_account(app: FastAPI) -> None:
    email = new_email()
    verification = services_of(app).verification
    racers = 4
    together = threading.Barrier(racers)

    def register_now(_index: int) -> None:
        together.wait()
        verification.complete_registration(email, PASSWORD)

    with ThreadPoolExecutor(max_workers=racers) as pool:
        list(pool.map(register_now, range(racers)))
    mails = mailbox(app, email)
    assert [mail.purpose for mail in mails] == ["verify_email"] * racers
    client = TestClient(app)
    # Each link voided the one before it: exactly one, the newest, still works.
    statuses = sorted(verify(client, mail.token("verify-email")) for mail in mails)
    assert statuses == [204] + [400] * (racers - 1)
    assert sign_in(client, email, PASSWORD).status_code == 200


def test_work_after_the_answer_that_fails_is_audited_not_raised(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch, audit_log: AuditCapture
) -> None:
    def broken(_email: str) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services_of(app).verification, "resend", broken)
    answer = client.post("/auth/verify-email/resend", json={"email": new_email()})
    assert answer.status_code == 202
    failure = audit_log.named("after_response_failed")[0]
    assert (failure["work"], failure["reason"]) == ("verification resend", "RuntimeError")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("email_verification", "sometimes"),
        ("verification_link_hours", "0"),
        ("reset_link_minutes", "2"),
    ],
)
def test_unusable_lifecycle_settings_are_refused_naming_the_key(setting: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            _env_file=EXAMPLE_ENV, better_auth_secret=secrets.token_urlsafe(48), **{setting: value}
        )
    assert str(refused.value).startswith(f"{setting.upper()}: ")
