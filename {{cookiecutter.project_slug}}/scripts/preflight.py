"""Check the tools, files and ports `make dev` needs, and say in one line what to fix.

Runs with the system Python before anything is installed, so a missing Node or a taken port is
a sentence, not a traceback from deep inside npm or uvicorn.
"""

from __future__ import annotations

import argparse
import errno
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import envfile

PROJECT_DIR = Path(__file__).resolve().parent.parent
BACKEND_DIR = PROJECT_DIR / "backend"
FRONTEND_DIR = PROJECT_DIR / "frontend"
MIN_PYTHON = (3, 11)
MIN_NODE_MAJOR = 20


class PreflightError(Exception):
    """Something to fix before the app can start; the message says what and how."""


def has_frontend() -> bool:
    return (FRONTEND_DIR / "package.json").exists()


def require_python() -> None:
    if sys.version_info < MIN_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        raise PreflightError(f"Python {found} is too old; install Python 3.11 or newer")


def require_node() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise PreflightError(
            f"Node.js {MIN_NODE_MAJOR}+ with npm is needed for the frontend; install it "
            "(https://nodejs.org) and run this again"
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    major = version.stdout.strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < MIN_NODE_MAJOR:
        raise PreflightError(
            f"Node.js {version.stdout.strip() or '(unknown version)'} is too old; "
            f"install Node.js {MIN_NODE_MAJOR} or newer"
        )


def require_env_files() -> None:
    wanted = [BACKEND_DIR / ".env"] + ([FRONTEND_DIR / ".env"] if has_frontend() else [])
    for path in wanted:
        if not path.exists():
            raise PreflightError(
                f"{path.relative_to(PROJECT_DIR)} is missing; run 'make env' to create it "
                "(it keeps an existing secret)"
            )


def port_from(env_path: Path, key: str) -> int:
    """The port `key` names in `env_path`, checked to be a usable number."""
    raw = envfile.read(env_path).get(key, "")
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        where = env_path.relative_to(PROJECT_DIR)
        raise PreflightError(f"{key}={raw!r} in {where} is not a port; use 1024-65535")
    return int(raw)


def port_in_use(port: int) -> bool:
    """Whether a server listens on `port` (IPv4 or IPv6 loopback).

    SO_REUSEADDR, as the servers themselves use: connections of the previous run still in
    TIME_WAIT (for a minute after a Ctrl-C) must not count as "in use".
    """
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                if family == socket.AF_INET6 and error.errno == errno.EADDRNOTAVAIL:
                    continue
                return True
    return False


def require_free(port: int, owner: str, fix: str) -> None:
    """Fail early and clearly when another process already listens on `port`."""
    if port_in_use(port):
        raise PreflightError(
            f"port {port} ({owner}) is already in use; stop the process that holds it "
            f"(e.g. 'lsof -i :{port}'), or {fix}"
        )


def ports() -> list[tuple[int, str, str]]:
    """The ports the servers will take: (port, which server, the setting that names it)."""
    found = [(port_from(BACKEND_DIR / ".env", "BACKEND_PORT"), "backend", "BACKEND_PORT")]
    if has_frontend():
        found.append(
            (port_from(FRONTEND_DIR / ".env", "FRONTEND_PORT"), "frontend", "FRONTEND_PORT")
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools-only", action="store_true", help="check Python and Node only")
    args = parser.parse_args(argv)
    try:
        require_python()
        if has_frontend():
            require_node()
        if not args.tools_only:
            require_env_files()
            for port, owner, key in ports():
                require_free(port, owner, f"change {key} in the .env file")
    except (PreflightError, envfile.EnvFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
