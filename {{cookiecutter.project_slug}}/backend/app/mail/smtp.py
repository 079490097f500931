"""Talking to the SMTP server with aiosmtplib: send one message, or check that it answers.

Every step is bounded: `timeout` applies to the connection and to each command, and a whole
delivery must finish within `delivery_deadline`, so a server that accepts the connection and
then stalls cannot hold a message (or the outbox lease on it) for ever. Failures become a
`DeliveryFailed` whose reason names the kind of failure and the server's status code only: a
server's own words may quote the message or the recipient.
"""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage

import aiosmtplib

from app.mail.smtp_url import SmtpUrl

# A delivery is a handful of commands (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT): allow a few
# full timeouts in total before giving the attempt up.
COMMANDS_PER_DELIVERY = 4


class DeliveryFailed(Exception):
    """The server did not take the message.

    `permanent`: the server refused this message for good (a 5xx answer to its recipient or
    content), so retrying cannot help. `affects_all`: the failure is about the server or the
    connection, not this message, so the other queued messages would fail the same way now.
    """

    def __init__(self, reason: str, *, permanent: bool = False, affects_all: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.affects_all = affects_all


def _refused(error: aiosmtplib.SMTPException) -> DeliveryFailed | None:
    """A refusal of this message in particular (recipient or content), or None."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refusal.code for refusal in error.recipients]
        return DeliveryFailed(
            f"recipient refused ({', '.join(map(str, codes))})",
            permanent=bool(codes) and all(code >= 500 for code in codes),
            affects_all=False,
        )
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        what = "recipient" if isinstance(error, aiosmtplib.SMTPRecipientRefused) else "message"
        return DeliveryFailed(
            f"{what} refused ({error.code})", permanent=error.code >= 500, affects_all=False
        )
    return None


def classify(error: BaseException) -> DeliveryFailed:
    """What a failure means for the outbox, in words safe for the audit log."""
    if isinstance(error, aiosmtplib.SMTPException):
        refused = _refused(error)
        if refused is not None:
            return refused
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return DeliveryFailed(f"authentication failed ({error.code}); check SMTP_URL's user")
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return DeliveryFailed(f"sender refused ({error.code}); check MAIL_FROM")
    if isinstance(error, aiosmtplib.SMTPNotSupported) and "SMTPUTF8" in str(error):
        return DeliveryFailed(
            "the server cannot take a non-ASCII address (no SMTPUTF8)",
            permanent=True,
            affects_all=False,
        )
    # aiosmtplib's own words (not the server's) for an extension the server lacks.
    if type(error) is aiosmtplib.SMTPException and "STARTTLS" in str(error):
        return DeliveryFailed("the server offers no STARTTLS, so nothing was sent in clear")
    if type(error) is aiosmtplib.SMTPException and "AUTH" in str(error):
        return DeliveryFailed("the server offers no login (AUTH); check SMTP_URL")
    # A failed handshake arrives as a connection error caused by the TLS one.
    if isinstance(error, ssl.SSLError) or isinstance(error.__cause__, ssl.SSLError):
        return DeliveryFailed("TLS failed (certificate or protocol), so nothing was sent")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return DeliveryFailed(f"the server answered {error.code}")
    if isinstance(error, TimeoutError):
        return DeliveryFailed("no answer in time")
    if isinstance(error, aiosmtplib.SMTPConnectError | ConnectionError | OSError):
        return DeliveryFailed("cannot connect")
    return DeliveryFailed(f"SMTP failure ({type(error).__name__})")


class SmtpTransport:
    """Delivers messages to the server SMTP_URL names; a new connection per message."""

    def __init__(self, target: SmtpUrl, *, timeout: float) -> None:
        self._target = target
        self._timeout = timeout
        self.delivery_deadline = timeout * COMMANDS_PER_DELIVERY

    @property
    def address(self) -> str:
        return self._target.address

    def _client(self) -> aiosmtplib.SMTP:
        target = self._target
        return aiosmtplib.SMTP(
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.security == "tls",
            # STARTTLS when the URL asks for it and never otherwise: no silent downgrade, and
            # no surprise upgrade that a local catcher without a certificate would fail.
            start_tls=target.security == "starttls",
            validate_certs=True,
            timeout=self._timeout,
        )

    async def send(self, email: EmailMessage) -> None:
        """Deliver `email`; raises DeliveryFailed, never anything else."""
        client = self._client()
        try:
            async with asyncio.timeout(self.delivery_deadline):
                async with client:
                    await client.send_message(email)
        except Exception as error:  # every failure is classified, and retried or given up
            raise classify(error) from None

    async def probe(self) -> None:
        """Connect, say EHLO (after STARTTLS and login, when configured), and leave.

        Raises DeliveryFailed: what the doctor reports when the server does not answer.
        """
        client = self._client()
        try:
            async with asyncio.timeout(self.delivery_deadline):
                await client.connect()
                await client.ehlo()
                await client.quit()
        except Exception as error:  # reported as one sentence by the doctor
            raise classify(error) from None
        finally:
            client.close()
