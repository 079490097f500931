"""A local SMTP catcher for development: nothing leaves this machine, every mail is shown.

`python scripts/mail_catcher.py --port P --dir D` (with the project's virtualenv Python, which
has aiosmtpd) listens on 127.0.0.1:P, accepts every message, prints one line per message
(recipient, subject, and the first link of its plain-text part) and keeps it as an `.eml` file
in D, which any mail program opens. `make dev` and `make demo` start it and point the backend at
it. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
LINK = re.compile(r"https?://\S+")
# Mail holds one-time links: keep the files readable by their owner only.
FILE_MODE = 0o600


def first_link(message: EmailMessage) -> str | None:
    """The first http(s) link in the plain-text part, or None."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return None
    match = LINK.search(str(part.get_content()))
    return match.group(0) if match else None


def describe(message: EmailMessage, recipients: list[str], saved: Path) -> str:
    """The console line for one caught message."""
    link = first_link(message) or "(no link)"
    subject = str(message.get("Subject", "(no subject)"))
    return f"mail to {', '.join(recipients)}: {subject!r} {link} [{saved}]"


class Catcher:
    """aiosmtpd handler: store each message under `directory`, print its line."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._count = 0
        self._lock = threading.Lock()

    def save(self, content: bytes) -> Path:
        with self._lock:
            self._count += 1
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{self._count:05d}.eml"
        path = self._directory / name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        return path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        saved = self.save(data)
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default makes EmailMessage
        print(describe(message, list(envelope.rcpt_tos), saved), flush=True)
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--dir", type=Path, required=True, help="where the .eml files go")
    args = parser.parse_args(argv)
    if not 1024 <= args.port <= 65535:
        print(f"error: --port {args.port} is not a port; use 1024-65535", file=sys.stderr)
        return 2
    args.dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    controller = Controller(Catcher(args.dir), hostname=HOST, port=args.port)
    try:
        controller.start()
    except (OSError, RuntimeError) as error:
        where = f"{HOST}:{args.port}"
        print(f"error: the mail catcher cannot listen on {where}: {error}", file=sys.stderr)
        return 1
    print(f"mail catcher: listening on {HOST}:{args.port}, keeping mail in {args.dir}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
