"""A mail to one recipient, checked when it is made, and its MIME form for SMTP.

Checking the recipient and subject here, in the request that asks for the mail, means a bad
address is refused at once instead of failing later in the worker, and no header can carry a
line break (header injection).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from app.project import PROJECT_NAME

MAX_SUBJECT_LENGTH = 300
MAX_ADDRESS_LENGTH = 320
# What `Message.purpose` says when a message was not made by `render`.
CUSTOM_PURPOSE = "custom"


class InvalidMessage(ValueError):
    """A message that cannot be sent as given; the text says which part and why."""


def address_problem(address: str) -> str | None:
    """Why `address` is not one plain `local@domain` address; None when it is."""
    if not address or len(address) > MAX_ADDRESS_LENGTH:
        return f"must be an address of 1 to {MAX_ADDRESS_LENGTH} characters"
    if any(character.isspace() or character in ',;<>"' for character in address):
        return "must be one plain address like name@example.org, without spaces, names or commas"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local:
        return "must be one address like name@example.org"
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return "is not a valid address like name@example.org"
    return None


@dataclass(frozen=True)
class Message:
    """One mail: a recipient, a subject, a plain-text part and an HTML part.

    `purpose` names the template it came from; audit events and operators see it, never the
    body.
    """

    to: str
    subject: str
    text: str
    html: str
    purpose: str = CUSTOM_PURPOSE

    def __post_init__(self) -> None:
        problem = address_problem(self.to)
        if problem:
            raise InvalidMessage(f"the recipient {problem}")
        if not self.subject.strip() or len(self.subject) > MAX_SUBJECT_LENGTH:
            raise InvalidMessage(f"the subject must have 1 to {MAX_SUBJECT_LENGTH} characters")
        if "\r" in self.subject or "\n" in self.subject:
            raise InvalidMessage("the subject must be one line")
        if not self.text.strip() or not self.html.strip():
            raise InvalidMessage("a message needs both a plain-text and an HTML part")


def sender(mail_from: str) -> Address:
    """The From header: MAIL_FROM as given, or its bare address under the project's name."""
    name, address = parseaddr(mail_from)
    return Address(display_name=name or PROJECT_NAME, addr_spec=address)


def to_email(message: Message, *, mail_from: str, message_id: str) -> EmailMessage:
    """The MIME message (text with an HTML alternative) that goes over SMTP.

    `message_id` stays the same across retries, so a server that received a message twice (a
    worker stopped between the server's answer and recording it) can tell.
    """
    from_address = sender(mail_from)
    email = EmailMessage()
    email["From"] = from_address
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = f"<{message_id}@{from_address.domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email
