"""Run the backend and, when baked, the frontend together; Ctrl-C stops both and leaves nothing.

Started by `make dev` (with reload) and `make demo` (without, plus a demo user) through the
project's virtualenv Python, after `preflight.py` has checked tools, `.env` files and ports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

import preflight

STOP_GRACE_SECONDS = 10


def commands(reload: bool) -> list[tuple[str, list[str], str]]:
    """What to start: a name, its command line, and the URL it serves."""
    started = []
    for port, owner, _key in preflight.ports():
        if owner == "backend":
            command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
            command += ["--port", str(port)] + (["--reload"] if reload else [])
        else:
            command = [shutil.which("npm") or "npm", "run", "dev"]
        started.append((owner, command, f"http://localhost:{port}"))
    return started


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every process group, politely first, and wait so that no child is left behind."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
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
    """Start the servers, wait until one stops or the user interrupts, then stop them all."""
    directories = {"backend": preflight.BACKEND_DIR, "frontend": preflight.FRONTEND_DIR}
    processes: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for name, command, url in commands(reload):
            print(f"{name}: {url}", flush=True)
            processes.append(
                subprocess.Popen(command, cwd=directories[name], start_new_session=True)
            )
        while all(process.poll() is None for process in processes):
            time.sleep(0.2)
        failed = next(p for p in processes if p.returncode is not None)
        print(f"error: a server stopped (exit code {failed.returncode}); stopping the rest")
        return failed.returncode or 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(processes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reload", action="store_true", help="do not restart on code changes")
    args = parser.parse_args()
    if preflight.main([]) != 0:
        return 1
    return run(reload=not args.no_reload)


if __name__ == "__main__":
    sys.exit(main())
