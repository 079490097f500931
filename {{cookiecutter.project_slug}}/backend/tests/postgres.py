"""A throwaway PostgreSQL server for the tests, from the `postgresql` system package.

`initdb` into a fresh temporary directory, `pg_ctl start` on a free port bound to 127.0.0.1
(its socket in the same directory), password authentication with a random password, and
`pg_ctl stop` plus removal of the directory at the end. PostgreSQL refuses to run as root, so
under root the commands run as the `postgres` system user the package creates.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

SERVER_USER = "postgres"
SUPERUSER = "tests"
START_ATTEMPTS = 3
COMMAND_TIMEOUT_SECONDS = 60
# Durability buys nothing for data deleted at the end, and costs a flush per commit.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(Exception):
    """This machine cannot run a throwaway PostgreSQL; the message says what to install."""


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl: on PATH, else Debian's versioned directory."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    raise PostgresUnavailable(
        "PostgreSQL's initdb and pg_ctl are not installed; run 'apt-get install postgresql'"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """One running server, owned by the test session; `stop` removes every trace of it."""

    def __init__(self, bindir: Path) -> None:
        self._bindir = bindir
        self._as_root = os.geteuid() == 0
        self._password = secrets.token_urlsafe(24)
        self._root = Path(tempfile.mkdtemp(prefix="pg-tests-"))
        self._data = self._root / "data"
        self._log = self._root / "server.log"
        self.port = 0

    def start(self) -> None:
        """initdb, then pg_ctl start on a free port; a port taken in between gets another try."""
        try:
            self._give_to_server_user(self._root)
            password_file = self._root / "password"
            password_file.write_text(self._password)
            self._give_to_server_user(password_file)
            self._run(
                "initdb",
                "-D",
                str(self._data),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--no-sync",
            )
            password_file.unlink()
            for _ in range(START_ATTEMPTS):
                self.port = free_port()
                if self._pg_ctl_start():
                    return
            log = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed {START_ATTEMPTS} times:\n{log}")
        except BaseException:
            self.stop()
            raise

    def restart(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected) and start it again, on the
        same port, as an operator's restart or a failover does."""
        self._run(
            "pg_ctl", "-D", str(self._data), "-l", str(self._log), "-m", "fast", "-w", "restart"
        )

    def stop(self) -> None:
        """Stop the server (fast shutdown: disconnect clients) and delete its directory."""
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self._root, ignore_errors=True)

    @property
    def pid(self) -> int:
        """The postmaster's process id (benchmarks count the server's CPU as their own)."""
        return int((self._data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            password=self._password,
            host="127.0.0.1",
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """A new empty database `name` (dropped first if a test run left one); its URL."""
        if not DATABASE_NAME.match(name):
            raise ValueError(f"{name!r} is not a plain database name")
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def _pg_ctl_start(self) -> bool:
        options = f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1 {SERVER_OPTIONS}"
        command = ["pg_ctl", "-D", str(self._data), "-l", str(self._log), "-w", "-t", "30"]
        return self._run(*command, "-o", options, "start", check=False).returncode == 0

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self._bindir / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        # Fixed tools from the PostgreSQL installation, with arguments built here.
        result = subprocess.run(  # noqa: S603
            command,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
            cwd=self._root,
        )
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{tool} failed: {result.stderr.strip()[-2000:]}")
        return result

    def _give_to_server_user(self, path: Path) -> None:
        if not self._as_root:
            return
        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, and there is no '{SERVER_USER}' user to run PostgreSQL as; "
                "install the postgresql package, or run the tests as a normal user"
            ) from None
        os.chown(path, user.pw_uid, user.pw_gid)
