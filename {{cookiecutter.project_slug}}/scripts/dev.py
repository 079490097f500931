"""Run the backend and, when baked, the frontend together; Ctrl-C stops both and leaves nothing.

Started by `make dev` (with reload) and `make demo` (without reload, with a throwaway demo
database and account) through the project's virtualenv Python, after the same checks as
`preflight.py`: tools, `.env` files and ports. A local SMTP catcher (`mail_catcher.py`) starts
first, on a free port, and the backend sends its mail there: each mail prints a line here and is
kept under `artifacts/mail/`. It prints the URLs (and the demo credentials) once all answer.
Starting, watching and stopping the servers is `servers.py`'s job, shared with `make prod`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import envfile
import preflight
from servers import Server, StopRequest, free_port, mail_catcher, run

DEMO_EMAIL = "demo@example.com"
# The demo gets a database of its own, recreated on every run, so resetting the demo account
# never touches the data of `make dev` (backend/app.db).
DEMO_DATABASE = preflight.BACKEND_DIR / "demo.db"
# Mail caught in development: git-ignored, like every artifact.
MAIL_DIR = preflight.PROJECT_DIR / "artifacts" / "mail"


def chosen_ports(backend_port: int | None, frontend_port: int | None) -> dict[str, int]:
    """Ports per server: from the `.env` files unless given on the command line."""
    given = {"backend": backend_port, "frontend": frontend_port}
    for owner, port in given.items():
        if port is not None and not 1024 <= port <= 65535:
            raise preflight.PreflightError(f"--{owner}-port {port} is not a port; use 1024-65535")
    return {owner: given[owner] or port for port, owner, _key in preflight.ports()}


def check(ports: dict[str, int], overridden: set[str]) -> None:
    """preflight.py's checks, on the ports this run will really use."""
    preflight.require_python()
    if preflight.has_frontend():
        preflight.require_node()
    preflight.require_env_files()
    keys = {"backend": "BACKEND_PORT", "frontend": "FRONTEND_PORT"}
    for owner, port in ports.items():
        fix = (
            f"choose another {keys[owner]}=... for this run"
            if owner in overridden
            else f"change {keys[owner]} in the .env file"
        )
        preflight.require_free(port, owner, fix)


def servers(
    ports: dict[str, int],
    overridden: set[str],
    reload: bool,
    extra_env: dict[str, str],
    mail_port: int,
) -> list[Server]:
    """What to start. A port given on the command line also moves the URL the other side uses.

    The backend's SMTP_URL always points at the catcher here, whatever backend/.env says, so
    development never mails real people.
    """
    catcher = mail_catcher(mail_port, MAIL_DIR, preflight.PROJECT_DIR)
    backend_url = f"http://localhost:{ports['backend']}"
    backend_env = {**extra_env, "BACKEND_PORT": str(ports["backend"]), "SMTP_URL": catcher.url}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    command += ["--port", str(ports["backend"])] + (["--reload"] if reload else [])
    backend = Server(
        "backend",
        command,
        preflight.BACKEND_DIR,
        backend_env,
        backend_url,
        probe=f"http://127.0.0.1:{ports['backend']}/health",
    )
    if "frontend" not in ports:
        return [catcher, backend]
    frontend_url = f"http://localhost:{ports['frontend']}"
    frontend_env = {"FRONTEND_PORT": str(ports["frontend"])}
    if "frontend" in overridden:
        backend_env["CORS_ORIGINS"] = frontend_url
    if "backend" in overridden:
        frontend_env["VITE_API_URL"] = backend_url
    npm = shutil.which("npm") or "npm"
    frontend = Server(
        "frontend",
        [npm, "run", "dev"],
        preflight.FRONTEND_DIR,
        frontend_env,
        frontend_url,
        probe=frontend_url,
    )
    return [catcher, backend, frontend]


def reset_demo_account(extra_env: dict[str, str]) -> str:
    """A fresh demo database holding one account with a new random password; returns it."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    password = secrets.token_urlsafe(18)
    # The password travels in the environment, never on a command line others can list.
    result = subprocess.run(
        [sys.executable, "-m", "app.create_user", "--email", DEMO_EMAIL],
        cwd=preflight.BACKEND_DIR,
        env={**os.environ, **extra_env, "CREATE_USER_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise preflight.PreflightError(f"could not create the demo account:\n{detail}")
    return password


def ready_message(started: list[Server], demo_password: str | None) -> str:
    by_name = {server.name: server for server in started}
    app = by_name.get("frontend", by_name["backend"])
    lines = ["", "=" * 64, f"Ready: open {app.url}"]
    if app.name == "frontend":
        api = by_name["backend"].url
        lines.append(f"  API: {api} (interactive docs at {api}/docs)")
    if "mail" in by_name:
        catcher = by_name["mail"].url.removeprefix("smtp://")
        where = MAIL_DIR.relative_to(preflight.PROJECT_DIR)
        lines += [
            f"  Mail: caught on {catcher}, never sent out; each mail prints a line here",
            f"  and is kept in {where}/",
        ]
    if demo_password is not None:
        lines += [
            "  Demo account (a new password on every `make demo`; its database, backend/demo.db,",
            "  is recreated each time and never touches backend/app.db):",
            f"    email:    {DEMO_EMAIL}",
            f"    password: {demo_password}",
        ]
    elif app.name == "frontend":
        lines.append("  No account yet? Register in the app, or: make user EMAIL=you@example.com")
    lines += ["Ctrl-C stops everything.", "=" * 64, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reload", action="store_true", help="do not restart on code changes")
    parser.add_argument(
        "--demo", action="store_true", help="use a fresh demo database and print a demo account"
    )
    parser.add_argument("--backend-port", type=int, help="instead of BACKEND_PORT in backend/.env")
    parser.add_argument(
        "--frontend-port", type=int, help="instead of FRONTEND_PORT in frontend/.env"
    )
    args = parser.parse_args(argv)
    stop = StopRequest()
    extra_env = {"DATABASE_URL": f"sqlite:///{DEMO_DATABASE}"} if args.demo else {}
    overridden = {
        owner
        for owner, port in (("backend", args.backend_port), ("frontend", args.frontend_port))
        if port is not None
    }
    try:
        ports = chosen_ports(args.backend_port, args.frontend_port)
        check(ports, overridden)
        password = reset_demo_account(extra_env) if args.demo else None
    except (preflight.PreflightError, envfile.EnvFileError) as error:
        if stop.requested:  # Ctrl-C while the demo account was being made: not an error.
            return 0
        print(f"error: {error}", file=sys.stderr)
        return 1
    started = servers(
        ports, overridden, reload=not args.no_reload, extra_env=extra_env, mail_port=free_port()
    )
    return run(started, lambda: ready_message(started, password), stop)


if __name__ == "__main__":
    sys.exit(main())
