"""What each SMTP failure means for the outbox: retry or give up, the pass goes on or ends, and a
reason fit for the audit log that never repeats the server's own words."""

from __future__ import annotations

import ssl

import aiosmtplib
import pytest

from app.mail.smtp import classify

# A server's text may quote the recipient or the message; it must never reach a reason.
SERVER_WORDS = "user ada@example.org token=abc"
TLS_FAILED = "TLS failed (certificate or protocol), so nothing was sent"


def connect_error_caused_by(cause: Exception) -> aiosmtplib.SMTPConnectError:
    """What aiosmtplib raises when the connection (or its TLS handshake) fails."""
    try:
        raise aiosmtplib.SMTPConnectError(SERVER_WORDS) from cause
    except aiosmtplib.SMTPConnectError as error:
        return error


@pytest.mark.parametrize(
    ("error", "reason", "permanent", "affects_all"),
    [
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, SERVER_WORDS, "ada@example.org")]
            ),
            "recipient refused (550)",
            True,
            False,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(450, SERVER_WORDS, "ada@example.org")]
            ),
            "recipient refused (450)",
            False,
            False,
        ),
        (
            aiosmtplib.SMTPRecipientRefused(551, SERVER_WORDS, "ada@example.org"),
            "recipient refused (551)",
            True,
            False,
        ),
        (aiosmtplib.SMTPDataError(552, SERVER_WORDS), "message refused (552)", True, False),
        (aiosmtplib.SMTPDataError(451, SERVER_WORDS), "message refused (451)", False, False),
        (
            aiosmtplib.SMTPAuthenticationError(535, SERVER_WORDS),
            "authentication failed (535); check SMTP_URL's user",
            False,
            True,
        ),
        (
            aiosmtplib.SMTPSenderRefused(553, SERVER_WORDS, "no-reply@app.org"),
            "sender refused (553); check MAIL_FROM",
            False,
            True,
        ),
        (
            aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server."),
            "the server offers no STARTTLS, so nothing was sent in clear",
            False,
            True,
        ),
        (
            aiosmtplib.SMTPException("SMTP AUTH extension not supported by server."),
            "the server offers no login (AUTH); check SMTP_URL",
            False,
            True,
        ),
        (
            aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server"),
            "the server cannot take a non-ASCII address (no SMTPUTF8)",
            True,
            False,
        ),
        (ssl.SSLError(1, SERVER_WORDS), TLS_FAILED, False, True),
        (connect_error_caused_by(ssl.SSLError(1, SERVER_WORDS)), TLS_FAILED, False, True),
        (
            aiosmtplib.SMTPResponseException(530, "AUTH STARTTLS " + SERVER_WORDS),
            "the server answered 530",
            False,
            True,
        ),
        (
            aiosmtplib.SMTPResponseException(421, SERVER_WORDS),
            "the server answered 421",
            False,
            True,
        ),
        (aiosmtplib.SMTPReadTimeoutError(SERVER_WORDS), "no answer in time", False, True),
        (TimeoutError(), "no answer in time", False, True),
        (aiosmtplib.SMTPConnectError(SERVER_WORDS), "cannot connect", False, True),
        (ConnectionRefusedError(SERVER_WORDS), "cannot connect", False, True),
        (aiosmtplib.SMTPServerDisconnected(SERVER_WORDS), "cannot connect", False, True),
        (ValueError(SERVER_WORDS), "SMTP failure (ValueError)", False, True),
    ],
)
def test_failures_are_classified_without_the_servers_words(
    error: BaseException, reason: str, permanent: bool, affects_all: bool
) -> None:
    failure = classify(error)
    assert (failure.reason, failure.permanent, failure.affects_all) == (
        reason,
        permanent,
        affects_all,
    )
    assert "ada@example.org" not in str(failure)
    assert "token" not in str(failure)
