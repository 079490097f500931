"""A root command that serves until Ctrl-C (`make demo`, `make prod`), run as a person runs it.

Both smoke tests start one, wait for the line that says it is ready, use what it serves, then
send Ctrl-C and check it left nothing behind; the steps are the same, so they live here once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import nothing_listens_on, processes_under

# The root commands print this line once everything answers.
READY_LINE = "Ctrl-C stops"
STOP_TIMEOUT_SECONDS = 30


@dataclass
class ConsoleRun:
    """A running command and what it has printed so far."""

    name: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def output(self) -> str:
        return "".join(self.lines)


def start_console(name: str, command: list[str], env: dict[str, str]) -> ConsoleRun:
    """Start `command` and follow its output: `ready` is set at its ready line, or when it ends
    (so a waiting test wakes either way and reads why)."""
    # A session of its own: SIGINT to its group is what a terminal's Ctrl-C sends.
    process = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = ConsoleRun(name, process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.lines.append(line)
            if line.startswith(READY_LINE):
                run.ready.set()
        run.ready.set()

    threading.Thread(target=read, daemon=True).start()
    return run


def interrupt_and_check_clean(run: ConsoleRun, directory: Path, ports: Iterable[int]) -> None:
    """Ctrl-C, as a terminal sends it; then no process under `directory` and no listener on
    `ports` may be left."""
    os.killpg(run.process.pid, signal.SIGINT)
    try:
        run.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(run.process.pid, signal.SIGKILL)
        pytest.fail(f"`{run.name}` ignored Ctrl-C for {STOP_TIMEOUT_SECONDS} s")
    deadline = time.monotonic() + 5
    while processes_under(directory) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_under(directory) == [], "left behind after Ctrl-C"
    assert all(nothing_listens_on(port) for port in ports), "a server still listens"
