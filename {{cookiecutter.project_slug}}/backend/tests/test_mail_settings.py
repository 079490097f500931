"""Mail settings: SMTP_URL forms, production's refusal of plain SMTP to another host, APP_URL and
MAIL_FROM; every refusal names the key and the fix, and none repeats a password."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from app.settings import Settings, SettingsError, load_settings

from .conftest import EXAMPLE_ENV, FAST_ARGON2

PRODUCTION = {
    "environment": "production",
    "cors_origins": "https://app.example.org",
    "argon2_time_cost": 2,
    "argon2_memory_kib": 19456,
}


def settings(**overrides: Any) -> Settings:
    values = {"better_auth_secret": secrets.token_urlsafe(48), **FAST_ARGON2, **overrides}
    return load_settings(_env_file=EXAMPLE_ENV, **values)


def refusal(**overrides: Any) -> str:
    with pytest.raises(SettingsError) as refused:
        settings(**overrides)
    return str(refused.value)


def test_the_baked_defaults_point_at_a_local_catcher_and_the_frontend() -> None:
    baked = settings()
    assert baked.smtp.security == "plain"
    assert baked.smtp.is_loopback
    assert baked.app_base_url == baked.cors_origins[0]
    assert settings(app_url="https://app.example.org/base").app_base_url == (
        "https://app.example.org/base"
    )


@pytest.mark.parametrize(
    ("url", "security", "address", "username"),
    [
        ("smtp://127.0.0.1:1025", "plain", "127.0.0.1:1025", None),
        # pragma: allowlist nextline secret
        ("smtp+starttls://me:p%40ss@mail.example.org", "starttls", "mail.example.org:587", "me"),
        ("smtps://me:pw@mail.example.org", "tls", "mail.example.org:465", "me"),
        ("smtps://me:pw@[2001:db8::1]:2465", "tls", "[2001:db8::1]:2465", "me"),
    ],
)
def test_smtp_url_forms(url: str, security: str, address: str, username: str | None) -> None:
    parsed = settings(smtp_url=url).smtp
    assert (parsed.security, parsed.address, parsed.username) == (security, address, username)
    assert "pw" not in repr(parsed)
    if url.startswith("smtp+starttls"):
        assert parsed.password == "p@ss"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://mail.example.org", "SMTP_URL has 'http://'; use smtp://127.0.0.1:1025"),
        ("mail.example.org:25", "SMTP_URL has 'mail.example.org://'"),
        ("smtp://", "SMTP_URL names no host"),
        # pragma: allowlist nextline secret
        ("smtps://me:hunter2-secret@host:99999", "SMTP_URL is not a URL"),
        # pragma: allowlist nextline secret
        ("smtps://me:hunter2-secret@host/path", "SMTP_URL has a path, query or fragment"),
        # pragma: allowlist nextline secret
        ("smtp://me:hunter2-secret@127.0.0.1:1025", "would send them in clear"),
        ("smtps://me@host", "has a user without a password"),
    ],
)
def test_unusable_smtp_urls_are_refused_without_repeating_them(url: str, expected: str) -> None:
    message = refusal(smtp_url=url)
    assert expected in message
    assert "hunter2-secret" not in message


@pytest.mark.parametrize(
    "url", ["smtp://mail.example.org:25", "smtp://10.0.0.5:25", "smtp://[2001:db8::1]:25"]
)
def test_production_refuses_plain_smtp_to_another_host(url: str) -> None:
    message = refusal(smtp_url=url, **PRODUCTION)
    assert "SMTP_URL sends mail to" in message
    assert "ENVIRONMENT=production allows that to this machine only" in message
    assert "smtp+starttls:// or smtps://" in message


@pytest.mark.parametrize(
    "url",
    [
        "smtp://127.0.0.1:25",
        "smtp://localhost:25",
        "smtp://[::1]:25",
        "smtp+starttls://me:pw@mail.example.org:587",
        "smtps://me:pw@mail.example.org:465",
    ],
)
def test_production_accepts_a_local_relay_or_an_encrypted_server(url: str) -> None:
    assert settings(smtp_url=url, **PRODUCTION).is_production


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://app.example.org", "APP_URL is not a URL like https://app.example.org"),
        ("https://app.example.org/", "APP_URL ends with '/'"),
        ("https://app.example.org/?x=1", "APP_URL has a query, fragment or user"),
        ("https://app.example.org:99999", "APP_URL is not a URL like"),
    ],
)
def test_unusable_app_urls_are_refused(url: str, expected: str) -> None:
    assert expected in refusal(app_url=url)


def test_production_mails_https_links_only() -> None:
    message = refusal(app_url="http://app.example.org", **PRODUCTION)
    assert "ENVIRONMENT=production mails https links only" in message


def test_without_app_url_or_cors_origins_there_is_nowhere_to_link() -> None:
    assert "APP_URL is empty and CORS_ORIGINS lists no origin" in refusal(cors_origins="")


@pytest.mark.parametrize(
    "mail_from", ["", "not an address", "a@b, c@d", "Name <>", "x@y\nBcc: z@w"]
)
def test_unusable_senders_are_refused(mail_from: str) -> None:
    assert "MAIL_FROM" in refusal(mail_from=mail_from)
    assert "no-reply@your-domain" in refusal(mail_from=mail_from)


@pytest.mark.parametrize("mail_from", ["no-reply@app.org", "Support Team <help@app.org>"])
def test_usable_senders(mail_from: str) -> None:
    assert settings(mail_from=mail_from).mail_from == mail_from


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("mail_retry_max_seconds", 31),
        ("mail_retry_max_seconds", 0),
        ("mail_give_up_hours", 0),
        ("mail_poll_seconds", 61),
        ("smtp_timeout_seconds", 0),
    ],
)
def test_retry_knobs_stay_in_range(key: str, value: int) -> None:
    assert f"{key.upper()}:" in refusal(**{key: value})
