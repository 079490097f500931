"""The outbox and its worker against a real SMTP server: mail commits with the caller's work,
survives an SMTP outage, is stored sealed and wiped once sent, gives up cleanly, and never puts
a token, a link or an address in the audit log."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from app import db
from app.mail import render
from app.mail.sealing import BodyCipher, BodyUnreadable
from app.mail.store import FAILED, PENDING, SENT
from app.mail.worker import RetryPolicy
from app.models import MailOutbox
from app.services import Services

from .conftest import AppFactory, AuditCapture, SettingsFactory
from .mail_support import Recorder, SmtpServer, text_of, wait_until
from .postgres import free_port

RECIPIENT = "ada@example.org"


def reset_link() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, f"http://localhost:3000/reset-password#token={token}"


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


def queue(services: Services, link: str, to: str = RECIPIENT) -> str:
    """Queue a reset mail the way request code does: inside a transaction of its own work."""
    message = render("reset_password", to=to, link=link, valid_for="30 minutes")
    with db.make_session_factory(services.engine).begin() as session:
        return services.outbox.enqueue(session, message)


def deliver(services: Services) -> None:
    asyncio.run(services.mail_worker.deliver_due())


def row(services: Services, mail_id: str) -> MailOutbox:
    with db.make_session_factory(services.engine).begin() as session:
        found = session.get(MailOutbox, mail_id)
    assert found is not None
    return found


def raw_body(services: Services, mail_id: str) -> bytes | None:
    with services.engine.connect() as connection:
        body = connection.execute(
            text("SELECT body FROM mail_outbox WHERE id = :id"), {"id": mail_id}
        ).scalar_one()
    return None if body is None else bytes(body)


def assert_audit_is_clean(audit_log: AuditCapture, *secret_texts: str) -> None:
    """Mail events name the outbox id and purpose; no token, link, address or body text."""
    for line in audit_log.lines:
        for secret in (*secret_texts, RECIPIENT, "reset-password", "Reset your"):
            assert secret not in line, f"{secret!r} leaked into the audit log: {line}"
    for event in audit_log.events:
        if event["event"].startswith("mail_") and event["event"] != "mail_worker_error":
            assert event["outbox_id"]
            assert event["purpose"]


@pytest.fixture
def mail_app(
    make_settings: SettingsFactory, make_app: AppFactory, smtp_server: SmtpServer
) -> FastAPI:
    return make_app(make_settings(smtp_url=smtp_server.url))


def test_committed_mail_is_delivered_once_and_its_body_wiped(
    mail_app: FastAPI, smtp_server: SmtpServer, audit_log: AuditCapture
) -> None:
    services = services_of(mail_app)
    token, link = reset_link()
    mail_id = queue(services, link)

    stored = raw_body(services, mail_id)
    assert stored is not None
    for readable in (token.encode(), link.encode(), b"Reset your", b"choose a new password"):
        assert readable not in stored
    assert row(services, mail_id).subject.startswith("Reset your")
    assert row(services, mail_id).recipient == RECIPIENT

    deliver(services)
    [received] = smtp_server.wait_for(1)
    assert received["To"] == RECIPIENT
    assert link in text_of(received)
    assert received["Message-ID"].startswith(f"<{mail_id}@")
    done = row(services, mail_id)
    assert (done.status, done.body, done.attempts) == (SENT, None, 1)
    assert raw_body(services, mail_id) is None

    deliver(services)  # nothing is due any more: no second copy
    assert len(smtp_server.recorder.received()) == 1
    assert [event["outbox_id"] for event in audit_log.named("mail_queued")] == [mail_id]
    [sent] = audit_log.named("mail_sent")
    assert (sent["outbox_id"], sent["purpose"], sent["attempt"]) == (mail_id, "reset_password", 1)
    assert_audit_is_clean(audit_log, token)


def test_mail_in_a_rolled_back_transaction_is_never_sent_and_a_commit_wakes_the_worker(
    mail_app: FastAPI,
    smtp_server: SmtpServer,
    audit_log: AuditCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = services_of(mail_app)
    _, link = reset_link()
    message = render("reset_password", to=RECIPIENT, link=link, valid_for="30 minutes")
    woken: list[bool] = []
    monkeypatch.setattr(services.outbox, "_wake", lambda: woken.append(True))

    def failing_work() -> None:
        with db.make_session_factory(services.engine).begin() as session:
            services.outbox.enqueue(session, message)
            session.flush()  # the row really reached the database before the rollback
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError, match="the caller's work failed"):
        failing_work()

    deliver(services)
    with db.make_session_factory(services.engine).begin() as session:
        assert session.scalars(select(MailOutbox)).all() == []
    assert smtp_server.recorder.received() == []
    assert audit_log.named("mail_queued") == []
    assert woken == []

    with db.make_session_factory(services.engine).begin() as session:
        services.outbox.enqueue(session, message)
        services.outbox.enqueue(session, message)
        assert woken == [], "the worker must not look before the commit"
    assert woken == [True], "one commit, one wake-up"
    assert len(audit_log.named("mail_queued")) == 2


def test_a_sealed_body_opens_with_the_current_or_previous_secret_on_its_own_row_only() -> None:
    old, new, other = (secrets.token_urlsafe(48) for _ in range(3))
    sealed = BodyCipher([old]).seal("row-1", "text part", "<p>html part</p>")
    assert BodyCipher([new, old]).open("row-1", sealed) == ("text part", "<p>html part</p>")
    with pytest.raises(BodyUnreadable):
        BodyCipher([new, other]).open("row-1", sealed)
    with pytest.raises(BodyUnreadable):  # copied onto another row, it does not open
        BodyCipher([old]).open("row-2", sealed)
    with pytest.raises(BodyUnreadable):
        BodyCipher([old]).open("row-1", b"\x01short")
    resealed = BodyCipher([new, old]).seal("row-1", "text part", "<p>html part</p>")
    assert BodyCipher([new]).open("row-1", resealed)[0] == "text part"


def test_mail_requested_while_smtp_is_down_arrives_after_it_returns(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    """The running worker (the app's lifespan) keeps retrying; nothing is lost meanwhile."""
    port = free_port()  # nothing listens here yet: SMTP is down
    settings = make_settings(
        smtp_url=f"smtp://127.0.0.1:{port}", mail_retry_max_seconds=1, mail_poll_seconds=1
    )
    app = make_app(settings)
    services = services_of(app)
    token, link = reset_link()
    server = SmtpServer(port=port)
    try:
        with TestClient(app):
            mail_id = queue(services, link)  # returns at once, although SMTP is down
            wait_until(lambda: len(audit_log.named("mail_retry")) >= 2, "two failed attempts")
            assert row(services, mail_id).status == PENDING
            server.start()
            [received] = server.wait_for(1)
            wait_until(lambda: bool(audit_log.named("mail_sent")), "the mail_sent event")
    finally:
        server.stop()
    assert link in text_of(received)
    retries = audit_log.named("mail_retry")
    assert all(event["reason"] == "cannot connect" for event in retries)
    assert all(event["retry_in"] <= 1 for event in retries)
    assert row(services, mail_id).status == SENT
    assert len(server.recorder.received()) == 1
    assert_audit_is_clean(audit_log, token)


def test_retries_back_off_to_the_cap_so_mail_is_retried_at_least_every_30_s() -> None:
    policy = RetryPolicy(max_delay_seconds=30, give_up_after_seconds=86400, poll_seconds=5)
    delays = [policy.delay(attempt) for attempt in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert policy.delay(10_000) == 30


def test_a_refused_recipient_is_given_up_at_once_and_its_body_wiped(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    server = SmtpServer(Recorder(refuse_recipients_with="550 5.1.1 no such user")).start()
    try:
        services = services_of(make_app(make_settings(smtp_url=server.url)))
        token, link = reset_link()
        mail_id = queue(services, link)
        deliver(services)
    finally:
        server.stop()
    failed = row(services, mail_id)
    assert (failed.status, failed.body, failed.attempts) == (FAILED, None, 1)
    assert failed.last_error == "recipient refused (550)"
    [event] = audit_log.named("mail_failed")
    assert (event["outbox_id"], event["reason"]) == (mail_id, "recipient refused (550)")
    assert_audit_is_clean(audit_log, token)


def test_mail_older_than_the_give_up_age_fails_on_its_next_failure(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    settings = make_settings(smtp_url=f"smtp://127.0.0.1:{free_port()}", mail_give_up_hours=2)
    services = services_of(make_app(settings))
    _, link = reset_link()
    young, old = queue(services, link), queue(services, link)
    with db.make_session_factory(services.engine).begin() as session:
        session.execute(
            update(MailOutbox).where(MailOutbox.id == old).values(created_at=time.time() - 7201)
        )
    deliver(services)
    deliver(services)
    assert row(services, old).status == FAILED
    assert row(services, old).body is None
    assert row(services, young).status == PENDING
    [event] = audit_log.named("mail_failed")
    assert event["outbox_id"] == old
    assert event["reason"].startswith("no delivery within the give-up age")


def test_a_server_failure_ends_the_pass_instead_of_failing_every_mail_in_a_row(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    settings = make_settings(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    services = services_of(make_app(settings))
    _, link = reset_link()
    for _ in range(3):
        queue(services, link)
    deliver(services)
    assert len(audit_log.named("mail_retry")) == 1


def test_a_starttls_url_never_sends_in_clear_to_a_server_without_starttls(
    make_settings: SettingsFactory,
    make_app: AppFactory,
    smtp_server: SmtpServer,
    audit_log: AuditCapture,
) -> None:
    url = f"smtp+starttls://user:{secrets.token_urlsafe(12)}@127.0.0.1:{smtp_server.port}"
    services = services_of(make_app(make_settings(smtp_url=url)))
    _, link = reset_link()
    mail_id = queue(services, link)
    deliver(services)
    assert smtp_server.recorder.received() == []
    assert row(services, mail_id).status == PENDING
    [retry] = audit_log.named("mail_retry")
    assert retry["reason"] == "the server offers no STARTTLS, so nothing was sent in clear"


def test_an_smtps_url_never_sends_in_clear_to_a_server_without_tls(
    make_settings: SettingsFactory,
    make_app: AppFactory,
    smtp_server: SmtpServer,
    audit_log: AuditCapture,
) -> None:
    url = f"smtps://user:{secrets.token_urlsafe(12)}@127.0.0.1:{smtp_server.port}"
    services = services_of(make_app(make_settings(smtp_url=url)))
    _, link = reset_link()
    queue(services, link)
    deliver(services)
    assert smtp_server.recorder.received() == []
    [retry] = audit_log.named("mail_retry")
    assert retry["reason"] == "TLS failed (certificate or protocol), so nothing was sent"


def test_pending_mail_survives_a_rotation_and_is_resealed_under_the_new_secret(
    make_settings: SettingsFactory, make_app: AppFactory, smtp_server: SmtpServer
) -> None:
    down = f"smtp://127.0.0.1:{free_port()}"
    before = make_settings(smtp_url=down)
    old_secret = before.better_auth_secret.get_secret_value()
    _, link = reset_link()
    mail_id = queue(services_of(make_app(before)), link)

    rotated = make_settings(
        smtp_url=down,
        database_url=before.database_url,
        better_auth_secret_previous=old_secret,
        better_auth_secret_previous_until=datetime.fromtimestamp(int(time.time()) + 900, tz=UTC),
    )
    deliver(services_of(make_app(rotated)))  # fails (SMTP down) and re-seals under the new key
    body = raw_body(services_of(make_app(rotated)), mail_id)
    assert body is not None
    new_only = BodyCipher([rotated.better_auth_secret.get_secret_value()])
    assert link in new_only.open(mail_id, body)[0]

    after = make_settings(
        smtp_url=smtp_server.url,
        database_url=before.database_url,
        better_auth_secret=rotated.better_auth_secret.get_secret_value(),
    )
    services = services_of(make_app(after))
    with db.make_session_factory(services.engine).begin() as session:
        session.execute(update(MailOutbox).values(next_attempt_at=0))
    deliver(services)
    [received] = smtp_server.wait_for(1)
    assert link in text_of(received)


def test_mail_no_configured_secret_opens_is_given_up(
    make_settings: SettingsFactory,
    make_app: AppFactory,
    smtp_server: SmtpServer,
    audit_log: AuditCapture,
) -> None:
    before = make_settings(smtp_url=smtp_server.url)
    _, link = reset_link()
    mail_id = queue(services_of(make_app(before)), link)
    replaced = make_settings(smtp_url=smtp_server.url, database_url=before.database_url)
    deliver(services_of(make_app(replaced)))
    assert smtp_server.recorder.received() == []
    [event] = audit_log.named("mail_failed")
    assert event["outbox_id"] == mail_id
    assert event["reason"].startswith("body unreadable")


def test_the_worker_outlives_a_database_failure(
    mail_app: FastAPI,
    smtp_server: SmtpServer,
    audit_log: AuditCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = services_of(mail_app)
    store = services.mail_worker._store
    real_claim = store.claim
    calls: list[int] = []

    def failing_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database unreachable")
        return real_claim(*args)

    monkeypatch.setattr(store, "claim", failing_once)
    _, link = reset_link()
    with TestClient(mail_app):
        queue(services, link)
        smtp_server.wait_for(1)
    [error] = audit_log.named("mail_worker_error")
    assert error["reason"] == "ConnectionError"


def test_housekeeping_forgets_old_finished_mail_and_keeps_pending_mail(
    mail_app: FastAPI,
) -> None:
    services = services_of(mail_app)
    _, link = reset_link()
    old_sent, old_pending, new_sent = (queue(services, link) for _ in range(3))
    with db.make_session_factory(services.engine).begin() as session:
        session.execute(
            update(MailOutbox)
            .where(MailOutbox.id.in_([old_sent, new_sent]))
            .values(status=SENT, body=None)
        )
        session.execute(update(MailOutbox).where(MailOutbox.id == old_sent).values(finished_at=1))
        session.execute(
            update(MailOutbox).where(MailOutbox.id == new_sent).values(finished_at=time.time())
        )
    services.mail_worker._store.delete_finished_before(time.time() - 60)
    with db.make_session_factory(services.engine).begin() as session:
        left = set(session.scalars(select(MailOutbox.id)))
    assert left == {old_pending, new_sent}
