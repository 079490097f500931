"""Helpers of the account-lifecycle tests: an app with verification on or off, the mail it queued
(opened from the outbox as the worker would), the links in that mail, and link rows to age."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.mail.sealing import BodyCipher
from app.models import MailOutbox, OneTimeToken
from app.one_time_links import digest
from app.services import Services

from .conftest import Account, AppFactory, SettingsFactory

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "purple elephant typing quietly"
# Every per-client limit raised: a test sends everything from one client on purpose.
ROOMY = {"throttle_client_limit_multiplier": 100}
LINK_TOKEN = re.compile(r"/(verify-email|reset-password)#token=([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Mail:
    """One queued mail as its recipient would read it."""

    to: str
    purpose: str
    text: str
    html: str

    def token(self, page: str) -> str:
        """The token of the `page` link (verify-email, reset-password) in this mail."""
        found = [m.group(2) for m in LINK_TOKEN.finditer(self.text) if m.group(1) == page]
        assert len(found) == 1, f"expected one {page} link in {self.purpose}: {self.text}"
        return found[0]


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


def lifecycle_app(
    make_settings: SettingsFactory, make_app: AppFactory, **overrides: Any
) -> FastAPI:
    """An app with open registration and email verification required, unless overridden."""
    values: dict[str, Any] = {
        "allow_registration": True,
        "email_verification": "required",
        **ROOMY,
        **overrides,
    }
    return make_app(make_settings(**values))


def mailbox(app: FastAPI, to: str | None = None) -> list[Mail]:
    """Every mail queued so far (oldest first), opened with the app's own secret."""
    services = services_of(app)
    cipher = BodyCipher(services.settings.verification_secrets)
    with services.session_factory.begin() as session:
        rows = session.scalars(select(MailOutbox).order_by(MailOutbox.created_at)).all()
        opened = []
        for row in rows:
            text, html = cipher.open(row.id, row.body or b"")
            opened.append(Mail(row.recipient, row.purpose, text, html))
    return [mail for mail in opened if to is None or mail.to == to]


def last_mail(app: FastAPI, to: str, purpose: str) -> Mail:
    found = [mail for mail in mailbox(app, to) if mail.purpose == purpose]
    assert found, f"no {purpose} mail to {to}; mail so far: {[m.purpose for m in mailbox(app)]}"
    return found[-1]


def new_email() -> str:
    return f"user-{secrets.token_hex(4)}@example.org"


def register(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/auth/register", json={"email": email, "password": password})


def sign_in(client: TestClient, email: str, password: str) -> Any:
    return client.post("/auth/token", data={"username": email, "password": password})


def refreshes(client: TestClient, pair: dict[str, Any]) -> bool:
    """Whether the session of a token pair from /auth/token is still alive (it rotates)."""
    answer = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    return bool(answer.status_code == 200)


def registered_and_verified(app: FastAPI, client: TestClient) -> Account:
    """An account made through registration and its verification link."""
    email = new_email()
    assert register(client, email).status_code == 202
    token = last_mail(app, email, "verify_email").token("verify-email")
    assert client.post("/auth/verify-email", json={"token": token}).status_code == 204
    user = services_of(app).accounts.find(email)
    assert user is not None
    return Account(email=email, password=PASSWORD, id=user.id)


def expire_link(app: FastAPI, token: str) -> None:
    """Make `token`'s link as if its lifetime ran out a second ago."""
    with services_of(app).session_factory.begin() as session:
        session.execute(
            update(OneTimeToken)
            .where(OneTimeToken.token_hash == digest(token))
            .values(expires_at=time.time() - 1)
        )
