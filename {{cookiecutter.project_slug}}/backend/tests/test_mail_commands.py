"""The mail side of the commands: the doctor's SMTP line, and the development mail catcher."""

from __future__ import annotations

import secrets
import signal
import smtplib
import subprocess
import sys
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from app import doctor
from app.settings import BACKEND_DIR

from .conftest import EXAMPLE_ENV
from .mail_support import SmtpServer, text_of, wait_until
from .postgres import free_port

CATCHER = BACKEND_DIR.parent / "scripts" / "mail_catcher.py"
STOP_SECONDS = 10


def backend_env(tmp_path: Path, smtp_url: str) -> Path:
    env = tmp_path / "backend" / ".env"
    env.parent.mkdir(parents=True)
    secret = secrets.token_urlsafe(48)
    text = EXAMPLE_ENV.read_text().replace("replace-me-run-make-env", secret)
    env.write_text(f"{text}\nDATABASE_URL=sqlite:///{tmp_path / 'app.db'}\nSMTP_URL={smtp_url}\n")
    env.chmod(0o600)
    return env


def doctor_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = doctor.main(["--project", str(tmp_path)])
    return code, capsys.readouterr().out


def test_doctor_says_the_smtp_server_answers(
    tmp_path: Path,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMTP_URL", raising=False)
    backend_env(tmp_path, smtp_server.url)
    code, out = doctor_output(tmp_path, capsys)
    assert code == 0
    assert f"ok: the SMTP server at 127.0.0.1:{smtp_server.port} answers" in out.splitlines()


def test_doctor_warns_when_smtp_does_not_answer_and_never_shows_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = secrets.token_urlsafe(12)
    port = free_port()
    monkeypatch.delenv("SMTP_URL", raising=False)
    backend_env(tmp_path, f"smtps://mailer:{password}@127.0.0.1:{port}")
    code, out = doctor_output(tmp_path, capsys)
    assert code == 0, "mail waits in the outbox: a warning, not a failed check"
    [line] = [line for line in out.splitlines() if "SMTP" in line]
    assert line.startswith(f"warning: the SMTP server at 127.0.0.1:{port} cannot take mail")
    assert "(cannot connect)" in line
    assert password not in out
    assert "mailer" not in out


def message_with_a_link(link: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "app@example.org"
    message["To"] = "ada@example.org"
    message["Subject"] = "Confirm your address"
    message.set_content(f"Open this link:\n\n{link}\n")
    message.add_alternative(f'<p><a href="{link}">Confirm</a></p>', subtype="html")
    return message


def test_the_catcher_prints_a_line_per_mail_and_keeps_an_eml_file(tmp_path: Path) -> None:
    port = free_port()
    mail_dir = tmp_path / "artifacts" / "mail"
    catcher = subprocess.Popen(  # noqa: S603 - this interpreter and the project's own script
        [sys.executable, str(CATCHER), "--port", str(port), "--dir", str(mail_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert catcher.stdout is not None
        lines.extend(catcher.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("listening on" in line for line in lines), "the catcher to listen")
        link = f"http://localhost:3000/verify-email#token={secrets.token_urlsafe(32)}"
        with smtplib.SMTP("127.0.0.1", port, timeout=STOP_SECONDS) as client:
            client.send_message(message_with_a_link(link))
        wait_until(lambda: any(line.startswith("mail to") for line in lines), "the mail's line")
    finally:
        catcher.send_signal(signal.SIGTERM)
        code = catcher.wait(STOP_SECONDS)
        reader.join(STOP_SECONDS)
    [line] = [line for line in lines if line.startswith("mail to")]
    assert line.startswith("mail to ada@example.org: 'Confirm your address' ")
    assert link in line
    [saved] = list(mail_dir.glob("*.eml"))
    assert str(saved) in line
    assert link in text_of(BytesParser(policy=policy.default).parsebytes(saved.read_bytes()))
    assert saved.stat().st_mode & 0o077 == 0
    assert code == 0
