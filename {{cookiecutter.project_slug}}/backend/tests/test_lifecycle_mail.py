"""Account mail end to end: asked for through an endpoint while the SMTP server is down, it is
delivered once the server is back, and its link works; no link or token reaches the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import AppFactory, AuditCapture, SettingsFactory, new_account
from .lifecycle_support import LINK_TOKEN, lifecycle_app, sign_in
from .mail_support import SmtpServer, text_of, wait_until
from .postgres import free_port

NEW_PASSWORD = "seven blue kites over harbour"


def test_a_reset_mail_asked_for_while_smtp_is_down_arrives_when_it_is_back(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    port = free_port()
    app = lifecycle_app(
        make_settings,
        make_app,
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_retry_max_seconds=1,
        mail_poll_seconds=1,
    )
    owner = new_account(app)
    # As a context manager the client runs the app's lifespan, and with it the mail worker.
    with TestClient(app) as client:
        answer = client.post("/auth/password/forgot", json={"email": owner.email})
        assert answer.status_code == 202
        wait_until(lambda: bool(audit_log.named("mail_retry")), "a failed delivery attempt")
        server = SmtpServer(port=port).start()
        try:
            (message,) = server.wait_for(1)
        finally:
            server.stop()
        assert message["To"] == owner.email
        found = LINK_TOKEN.search(text_of(message))
        assert found is not None
        assert found.group(1) == "reset-password"
        token = found.group(2)
        body = {"token": token, "new_password": NEW_PASSWORD}
        assert client.post("/auth/password/reset", json=body).status_code == 204
        assert sign_in(client, owner.email, NEW_PASSWORD).status_code == 200
    assert audit_log.named("mail_retry")[0]["purpose"] == "reset_password"
    assert audit_log.named("mail_sent")[0]["purpose"] == "reset_password"
    assert token not in "\n".join(audit_log.lines)
    assert owner.email not in "\n".join(audit_log.lines)
