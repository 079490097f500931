"""Run a few local servers together: each in its own process group, ready once all answer, and
all stopped, every process of every group, on Ctrl-C, on `kill`, or when one of them fails.

Shared by `make dev`/`make demo` (dev.py) and `make prod` (prod.py).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STOP_GRACE_SECONDS = 10
READY_TIMEOUT_SECONDS = 90
MAIL_CATCHER = Path(__file__).resolve().parent / "mail_catcher.py"


@dataclass(frozen=True)
class Server:
    """One server to start: its name, command line, directory, extra environment and URLs.

    `probe` is what must answer before the server counts as ready: `tcp://host:port`, or an
    http(s) URL; `https://` URLs are verified against `ca_file` when one is given.
    """

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    url: str
    probe: str
    ca_file: Path | None = None


def free_port() -> int:
    """A port nothing listens on now, for a server whose port no setting names."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mail_catcher(port: int, directory: Path, cwd: Path) -> Server:
    """The local SMTP catcher, started before the backend so that its first mail finds it."""
    return Server(
        "mail",
        [sys.executable, str(MAIL_CATCHER), "--port", str(port), "--dir", str(directory)],
        cwd,
        {},
        f"smtp://127.0.0.1:{port}",
        probe=f"tcp://127.0.0.1:{port}",
    )


def answers(url: str, ca_file: Path | None = None) -> bool:
    """Whether anything answers at `url`: HTTP(S) (any status counts), or a TCP connection.

    An https URL answers only once its certificate verifies against `ca_file`, which may not
    exist yet (a proxy that creates its own CA at start).
    """
    if url.startswith("tcp://"):
        host, _, port = url.removeprefix("tcp://").rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            return False
    context = None
    if url.startswith("https://"):
        if ca_file is None or not ca_file.exists():
            return False
        context = ssl.create_default_context(cafile=str(ca_file))
    try:
        # Our own loopback URLs only (http, or https verified against our own CA).
        with urllib.request.urlopen(url, timeout=1, context=context):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every process group, politely first, and wait until each group is empty.

    Waiting for the group, not just its leader, matters: `npm run dev` exits before the Vite
    process it started, and uvicorn's workers outlive their supervisor for a moment; either
    would otherwise still hold a port when this returns. Only poll() is used: it never blocks,
    so a second Ctrl-C cannot leave this waiting forever.
    """
    for process in processes:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        # poll() also reaps the leader, which would otherwise stay in its group as a zombie.
        while (process.poll() is None or group_alive(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            while process.poll() is None:
                time.sleep(0.05)


class StopRequest:
    """Ctrl-C (SIGINT) and `kill` (SIGTERM) set a flag that the main loop checks.

    No exception is raised at an arbitrary point (the default KeyboardInterrupt can land inside
    subprocess's own locking and hang the clean-up), and a second Ctrl-C changes nothing.
    """

    def __init__(self) -> None:
        self.requested = False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._request)

    def _request(self, signum: int, frame: object) -> None:
        self.requested = True


def run(started: list[Server], ready_message: Callable[[], str], stop: StopRequest) -> int:
    """Start the servers, print `ready_message()` when all answer, wait for Ctrl-C or a crash,
    stop them all."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for server in started:
            if stop.requested:
                break
            print(f"starting {server.name} on {server.url}", flush=True)
            processes.append(
                subprocess.Popen(
                    server.command,
                    cwd=server.cwd,
                    env={**os.environ, **server.env},
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        waiting = list(started)
        while not stop.requested:
            failed = next((i for i, p in enumerate(processes) if p.poll() is not None), None)
            if failed is not None:
                code = processes[failed].returncode
                name = started[failed].name
                print(f"error: the {name} server stopped (exit code {code}); stopping the rest")
                return code or 1
            # In order: a proxy is only asked once what it proxies answers.
            while waiting and answers(waiting[0].probe, waiting[0].ca_file):
                waiting.pop(0)
            if not waiting and deadline:
                print(ready_message(), flush=True)
                deadline = 0.0
            elif deadline and time.monotonic() > deadline:
                names = ", ".join(server.name for server in waiting)
                print(f"error: {names} did not answer within {READY_TIMEOUT_SECONDS} s; stopping")
                return 1
            time.sleep(0.2 if deadline else 0.5)
        print("\nstopping…", flush=True)
        return 0
    finally:
        stop_all(processes)
