"""Several instances share one outbox without sending a mail twice.

Two apps, each with its own engine and running worker, on one database: SQLite (one writer at a
time) always, and the PostgreSQL server of the suite (FOR UPDATE SKIP LOCKED) in a PostgreSQL
bake. The SMTP server holds the first mail until a second arrives at the same time, so the two
workers are proven to deliver concurrently, different mail each.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import db
from app.mail import render
from app.mail.store import SENT, OutboxStore
from app.models import MailOutbox
from app.services import Services

from .conftest import BAKED_DATABASE, AppFactory, SettingsFactory
from .mail_support import Recorder, SmtpServer, wait_until

MAILS = 40
DATABASES = ["sqlite"] + (["postgresql"] if BAKED_DATABASE == "postgresql" else [])


@pytest.fixture(params=DATABASES)
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty migrated database of the parameter's kind, for both instances."""
    if request.param == BAKED_DATABASE:
        url: str = request.getfixturevalue("database_url")
        return url
    path = tmp_path / "shared.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


def test_two_instances_share_one_outbox_without_sending_a_mail_twice(
    shared_database: str, make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    server = SmtpServer(Recorder(meet_a_second_sender=True)).start()
    try:
        settings = make_settings(database_url=shared_database, smtp_url=server.url)
        a, b = make_app(settings), make_app(settings)
        first, second = services_of(a), services_of(b)
        with TestClient(a), TestClient(b):
            messages = [
                render("account_exists", to=f"user{n}@example.org", link="https://x.org/forgot")
                for n in range(MAILS)
            ]
            with db.make_session_factory(first.engine).begin() as session:
                queued = [first.outbox.enqueue(session, message) for message in messages]
            second.mail_worker.wake()  # both workers now race for the same rows
            received = server.wait_for(MAILS)
            wait_until(lambda: sent_count(first) == MAILS, "every row marked sent")
        # Both lifespans have ended: every delivery either finished or never started.
        received = server.recorder.received()
    finally:
        server.stop()

    ids = [message["Message-ID"].removeprefix("<").split("@")[0] for message in received]
    assert sorted(ids) == sorted(queued), "each mail exactly once"
    assert server.recorder.met_a_second_sender, "the two instances never delivered at once"
    with db.make_session_factory(first.engine).begin() as session:
        claimants = Counter(session.scalars(select(MailOutbox.claimed_by)))
    assert len(claimants) == 2, f"one instance sent everything: {claimants}"
    print(f"mail per instance on {shared_database.split(':')[0]}: {sorted(claimants.values())}")


def sent_count(services: Services) -> int:
    with db.make_session_factory(services.engine).begin() as session:
        return len(session.scalars(select(MailOutbox.id).where(MailOutbox.status == SENT)).all())


def test_a_claimed_mail_is_not_claimed_again_until_its_lease_runs_out(
    shared_database: str, make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    services = services_of(make_app(make_settings(database_url=shared_database)))
    with db.make_session_factory(services.engine).begin() as session:
        mail_id = services.outbox.enqueue(
            session, render("account_exists", to="ada@example.org", link="https://x.org")
        )
    other_engine = db.make_engine(make_settings(database_url=shared_database))
    this, other = (
        OutboxStore(db.make_session_factory(services.engine)),
        OutboxStore(db.make_session_factory(other_engine)),
    )
    try:
        now = 2e9  # later than the mail's creation, so it is due
        claimed = this.claim("this", now, lease_until=now + 100)
        assert claimed is not None
        assert claimed.id == mail_id
        assert other.claim("other", now + 99, lease_until=now + 199) is None
        assert not other.mark_sent(mail_id, "other", now + 99), "only the holder may finish it"
        stolen = other.claim("other", now + 100, lease_until=now + 200)
        assert stolen is not None
        assert stolen.attempts == 2
        assert not this.mark_sent(mail_id, "this", now + 101), "the expired holder lost it"
        assert other.mark_sent(mail_id, "other", now + 101)
    finally:
        other_engine.dispose()
