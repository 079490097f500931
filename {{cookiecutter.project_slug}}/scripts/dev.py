"""Run the backend and, when baked, the frontend together; Ctrl-C stops both and leaves nothing.

Checks what usually goes wrong first (missing `.env`, a taken port, a too-old Node) and says so
in one sentence instead of letting a server die with a traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import envfile

PROJECT_DIR = Path(__file__).resolve().parent.parent
BACKEND_DIR = PROJECT_DIR / "backend"
FRONTEND_DIR = PROJECT_DIR / "frontend"
MIN_NODE_MAJOR = 20


class DevError(Exception):
    """A problem the developer must fix before the servers can start; the message says how."""


def port_from(env_path: Path, key: str) -> int:
    """The port `key` names in `env_path`, checked to be a usable number."""
    raw = envfile.read(env_path).get(key, "")
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise DevError(f"{key}={raw!r} in {env_path.relative_to(PROJECT_DIR)}: use 1024-65535")
    return int(raw)


def require_free(port: int, owner: str) -> None:
    """Fail early and clearly when another process already listens on `port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise DevError(
                f"port {port} ({owner}) is taken by another process; stop it, or change the port "
                "in the .env file"
            ) from error


def require_env_files(with_frontend: bool) -> None:
    """Both `.env` files must exist: the servers read their secret and settings from them."""
    wanted = [BACKEND_DIR / ".env"] + ([FRONTEND_DIR / ".env"] if with_frontend else [])
    for path in wanted:
        if not path.exists():
            raise DevError(
                f"{path.relative_to(PROJECT_DIR)} is missing; run 'make env' to create it "
                "(it keeps an existing secret)"
            )


def require_node() -> str:
    """The path of a Node.js new enough for Vite."""
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        raise DevError(f"Node.js {MIN_NODE_MAJOR}+ with npm is needed for the frontend")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    major = version.stdout.strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < MIN_NODE_MAJOR:
        raise DevError(f"Node.js {version.stdout.strip()} is too old; install {MIN_NODE_MAJOR}+")
    return npm


def commands(reload: bool, with_frontend: bool) -> list[tuple[str, list[str], Path]]:
    """What to start: a name, its command line and its working directory."""
    backend_port = port_from(BACKEND_DIR / ".env", "BACKEND_PORT")
    require_free(backend_port, "backend")
    uvicorn = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    uvicorn += ["--port", str(backend_port)] + (["--reload"] if reload else [])
    started = [("backend", uvicorn, BACKEND_DIR)]
    if with_frontend:
        npm = require_node()
        require_free(port_from(FRONTEND_DIR / ".env", "FRONTEND_PORT"), "frontend")
        started.append(("frontend", [npm, "run", "dev"], FRONTEND_DIR))
    return started


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every process group, politely first, and wait so that no child is left behind."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _interrupt(signum: int, frame: object) -> None:
    """Treat `kill` like Ctrl-C so the same clean-up stops both servers."""
    raise KeyboardInterrupt


def run(reload: bool) -> int:
    with_frontend = (FRONTEND_DIR / "package.json").exists()
    require_env_files(with_frontend)
    processes: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for name, command, cwd in commands(reload, with_frontend):
            print(f"starting {name}: {' '.join(command[-6:])}", flush=True)
            processes.append(subprocess.Popen(command, cwd=cwd, start_new_session=True))
        while all(process.poll() is None for process in processes):
            time.sleep(0.2)
        return next(p.returncode for p in processes if p.returncode is not None) or 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(processes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reload", action="store_true", help="do not restart on code changes")
    args = parser.parse_args()
    try:
        return run(reload=not args.no_reload)
    except (DevError, envfile.EnvFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
