"""Server lifecycle for benchmarks: uvicorn as users run it, on a free loopback port.

Every app is served the same way (one worker unless a benchmark of workers asks for more, access
log off, uvicorn's default loop and HTTP parser), optionally pinned to one core with `taskset`, so
that ratios compare the apps and not the way they were started. Servers live in an ExitStack: an
exception anywhere still stops them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_CPU = 0
CLIENT_CPU = 1
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def pin_command(cpu: int | None) -> list[str]:
    """`taskset -c cpu` when pinning is asked for and possible; a shared box may lack core 1."""
    if cpu is None or shutil.which("taskset") is None or cpu >= (os.cpu_count() or 1):
        return []
    return ["taskset", "-c", str(cpu)]


def pin_self(cpu: int) -> None:
    """Pin this process (a load generator) to one core, away from the server's."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


@dataclass(frozen=True)
class AppSpec:
    """How to import one ASGI app: `module:attribute`, from `cwd`, with extra environment."""

    name: str
    target: str
    cwd: Path = REPO
    python_path: tuple[Path, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cpu: int | None = SERVER_CPU
    workers: int = 1


@dataclass
class Server:
    """A running uvicorn process serving one AppSpec."""

    spec: AppSpec
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's own output, for an error message when it misbehaves."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ServerFailed(RuntimeError):
    """A server exited or never listened; the message carries the end of its log."""


def _wait_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(
                f"{server.spec.name} exited with {server.process.returncode} at start:\n"
                f"{server.log_tail()}"
            )
        with contextlib.suppress(OSError), socket.create_connection((HOST, server.port), 0.2):
            return
        time.sleep(0.05)
    raise ServerFailed(f"{server.spec.name} did not listen within {START_TIMEOUT_SECONDS:.0f} s")


def start(spec: AppSpec, python: str, log_dir: Path) -> Server:
    """Start `spec` under uvicorn and return once it accepts connections."""
    port = free_port()
    env = dict(os.environ)
    env.update(spec.env)
    paths = [str(path) for path in (*spec.python_path, REPO)]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [
        *pin_command(spec.cpu),
        python,
        "-m",
        "uvicorn",
        spec.target,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(spec.workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    log_path = log_dir / f"{spec.name.replace(' ', '_').replace('/', '_')}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=spec.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(spec=spec, port=port, process=process, log_path=log_path)
    try:
        _wait_listening(server)
    except BaseException:
        server.stop()
        raise
    return server


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so a killed benchmark still unwinds and stops its servers."""

    def handler(_signum: int, _frame: object) -> None:
        raise SystemExit(128 + signal.SIGTERM)

    with contextlib.suppress(ValueError):  # not the main thread: leave the handler alone
        signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def serving(specs: list[AppSpec], python: str) -> Iterator[dict[str, Server]]:
    """Start every spec (by name) and stop them all on the way out, on success or error."""
    _exit_on_sigterm()
    with contextlib.ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-logs-")))
        servers: dict[str, Server] = {}
        for spec in specs:
            server = start(spec, python, log_dir)
            stack.callback(server.stop)
            servers[spec.name] = server
        yield servers
