"""The production rehearsal on one machine (`make prod`): the app and the API over https, behind
Caddy, with the production settings of `backend/.env.production`.

In order: check the tools and the settings; build the frontend for the API's https origin and
search the bundle for every secret; migrate the database; start the local mail catcher (when
SMTP_URL points at a free port on this machine), the backend's workers on 127.0.0.1 and Caddy;
print the URLs, the certificate to trust and how to create the first account once everything
answers over https. Ctrl-C stops everything (see servers.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import envfile
import preflight
import production_env
from servers import Server, StopRequest, free_port, mail_catcher, run

# The backend's own rules (settings, messages) decide whether the production file is usable;
# its directory goes first on the path, ahead of any other project installed in a shared venv.
sys.path.insert(0, str(preflight.BACKEND_DIR))
from app.settings import (
    ENV_FILE_VARIABLE,
    Settings,
    SettingsError,
    env_file_label,
    load_settings,
)

CADDYFILE = preflight.PROJECT_DIR / "Caddyfile"
# Caddy's local CA and certificates: kept between runs, so the root you trusted stays valid.
CADDY_DIR = preflight.PROJECT_DIR / ".caddy"
MAIL_DIR = preflight.PROJECT_DIR / "artifacts" / "mail-production"
# Browsers remember HSTS per host name, whatever the port: a year on `localhost` would turn
# every later http://localhost (make dev) into https. A server keeps the Caddyfile's year.
REHEARSAL_HSTS_SECONDS = 60
MIN_WORKERS = 2
STEP_TIMEOUT_SECONDS = 600
CADDY_HINT = (
    "Caddy (the https proxy) is not installed; install Debian's package with "
    "'sudo apt-get install caddy' (other systems: https://caddyserver.com/docs/install), "
    "then run 'make prod' again"
)


@dataclass(frozen=True)
class Rehearsal:
    """One run's choices: the env file, the ports, the workers and where Caddy keeps its CA."""

    env_file: Path
    app_port: int
    api_port: int
    http_port: int
    workers: int
    caddy_dir: Path
    ports_given: bool

    @property
    def app_origin(self) -> str:
        return production_env.local_origin(self.app_port)

    @property
    def api_origin(self) -> str:
        return production_env.local_origin(self.api_port)

    @property
    def root_certificate(self) -> Path:
        return self.caddy_dir / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"


def require_caddy() -> str:
    caddy = shutil.which("caddy")
    if caddy is None:
        raise preflight.PreflightError(CADDY_HINT)
    return caddy


def default_workers() -> int:
    """One worker per CPU this process may use, at least two, so that the rehearsal always runs
    several processes as production does."""
    return max(MIN_WORKERS, len(os.sched_getaffinity(0)))


def backend_environment(rehearsal: Rehearsal) -> dict[str, str]:
    """What every backend process of this run gets on top of the production file.

    A port moved for one run moves the app's origin, which the API must then allow.
    """
    environment = {ENV_FILE_VARIABLE: str(rehearsal.env_file), "ENVIRONMENT": "production"}
    if rehearsal.ports_given:
        environment |= {"CORS_ORIGINS": rehearsal.app_origin, "APP_URL": rehearsal.app_origin}
    return environment


def check_settings(rehearsal: Rehearsal) -> Settings:
    """The production settings as the backend will read them, or a sentence naming the fix."""
    where = env_file_label(rehearsal.env_file)
    if not rehearsal.env_file.is_file():
        raise preflight.PreflightError(
            f"{where} is missing; run 'make env' to create it (production settings with a "
            "secret of their own)"
        )
    if stat.S_IMODE(rehearsal.env_file.stat().st_mode) & 0o077:
        raise preflight.PreflightError(
            f"{where} can be read by other users of this machine; run 'chmod 600 {where}'"
        )
    written = envfile.read(rehearsal.env_file)
    development = envfile.read(preflight.BACKEND_DIR / ".env").get(envfile.SECRET_KEY)
    if development and written.get(envfile.SECRET_KEY) == development:
        raise preflight.PreflightError(
            f"{envfile.SECRET_KEY} in {where} is the development secret from backend/.env; run "
            "'make env', which gives production a secret of its own"
        )
    if written.get("ENVIRONMENT") != "production":
        raise preflight.PreflightError(
            f"ENVIRONMENT in {where} is {written.get('ENVIRONMENT', '')!r}; make prod rehearses "
            "production: set ENVIRONMENT=production"
        )
    try:
        settings = load_settings(_env_file=rehearsal.env_file)
    except SettingsError as error:
        raise preflight.PreflightError(f"the settings in {where} are unusable:\n{error}") from None
    example = envfile.read(preflight.BACKEND_DIR / ".env.example").get("DATABASE_URL", "")
    if settings.database_url == example and example.startswith("postgresql"):
        raise preflight.PreflightError(
            f"DATABASE_URL in {where} is still the example's placeholder; set it to your "
            "PostgreSQL database (postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME), then "
            "run make prod again"
        )
    if settings.database_url == example:
        raise preflight.PreflightError(
            f"DATABASE_URL in {where} is the development database; give production one of its "
            f"own ({production_env.SQLITE_DATABASE_URL}, which 'make env' writes)"
        )
    if preflight.has_frontend() and rehearsal.app_origin not in settings.cors_origins:
        raise preflight.PreflightError(
            f"CORS_ORIGINS in {where} does not list {rehearsal.app_origin}, the app's origin in "
            f"this rehearsal; add it, or run 'make prod APP_PORT=...' with the port it lists"
        )
    return settings


def check(rehearsal: Rehearsal) -> Settings:
    """Tools, settings and ports, before anything is built or started."""
    preflight.require_python()
    require_caddy()
    if preflight.has_frontend():
        preflight.require_node()
    settings = check_settings(rehearsal)
    fix = "choose other ports for this run: make prod APP_PORT=... API_PORT=... HTTP_PORT=..."
    ports = {"api": rehearsal.api_port, "http redirect": rehearsal.http_port}
    if preflight.has_frontend():
        ports["app"] = rehearsal.app_port
    if len(set(ports.values())) != len(ports):
        raise preflight.PreflightError(f"the ports {ports} must differ; {fix}")
    for owner, port in ports.items():
        preflight.require_free(port, owner, fix)
    return settings


def step(title: str, command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run one preparation step quietly and return its output; on failure show it and stop."""
    print(f"{title}…", flush=True)
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        raise preflight.PreflightError(f"{title} failed:\n" + "\n".join(output[-40:]))
    return result.stdout


def build_frontend(rehearsal: Rehearsal, settings: Settings) -> None:
    """`vite build` for this run's API origin, then the bundle search for every secret, the
    production one included (check-bundle reads the file BACKEND_ENV_FILE names)."""
    npm = shutil.which("npm") or "npm"
    public = {
        "VITE_API_URL": rehearsal.api_origin,
        "VITE_ALLOW_REGISTRATION": "true" if settings.allow_registration else "false",
    }
    step(
        f"building the frontend for {rehearsal.api_origin}",
        [npm, "run", "build"],
        preflight.FRONTEND_DIR,
        public,
    )
    search = [npm, "run", "--silent", "check-bundle"]
    found = step("searching the bundle for secrets", search, preflight.FRONTEND_DIR, {})
    print(found.strip(), flush=True)


def migrate() -> None:
    step(
        "migrating the database",
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        preflight.BACKEND_DIR,
        {},
    )


def mail_server(settings: Settings) -> tuple[Server | None, str]:
    """The catcher to start, if SMTP_URL names a free port here in clear; and where mail goes."""
    smtp = settings.smtp
    local = smtp.security == "plain" and smtp.host in ("127.0.0.1", "localhost")
    if local and not preflight.port_in_use(smtp.port):
        catcher = mail_catcher(smtp.port, MAIL_DIR, preflight.PROJECT_DIR)
        where = MAIL_DIR.relative_to(preflight.PROJECT_DIR)
        return catcher, (
            f"caught on {smtp.address}, never sent out; each mail prints a line here and is "
            f"kept in {where}/"
        )
    if local:
        return None, f"goes to the SMTP server already listening on {smtp.address}"
    return None, f"is really sent, through {smtp.address} (SMTP_URL)"


def servers(rehearsal: Rehearsal, backend_port: int) -> list[Server]:
    """The backend's workers on loopback, trusting forwarded headers from Caddy alone, and Caddy."""
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    command += ["--port", str(backend_port), "--workers", str(rehearsal.workers)]
    command += ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--no-server-header"]
    backend = Server(
        "backend",
        command,
        preflight.BACKEND_DIR,
        {},
        f"http://127.0.0.1:{backend_port}",
        probe=f"http://127.0.0.1:{backend_port}/health",
    )
    caddy_env = {
        "APP_SITE": f"localhost:{rehearsal.app_port}",
        "API_SITE": f"localhost:{rehearsal.api_port}",
        "BACKEND": f"127.0.0.1:{backend_port}",
        "HTTP_PORT": str(rehearsal.http_port),
        # Plain http redirects to the app, or to the API in a project without one.
        "HTTPS_PORT": str(rehearsal.app_port if preflight.has_frontend() else rehearsal.api_port),
        "BIND_ADDRESS": "127.0.0.1",
        "HSTS_MAX_AGE": str(REHEARSAL_HSTS_SECONDS),
        # Caddy keeps its CA, certificates and autosaved config here, not in ~.
        "XDG_DATA_HOME": str(rehearsal.caddy_dir / "data"),
        "XDG_CONFIG_HOME": str(rehearsal.caddy_dir / "config"),
    }
    caddy = Server(
        "caddy",
        [require_caddy(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        preflight.PROJECT_DIR,
        caddy_env,
        rehearsal.api_origin,
        probe=f"{rehearsal.api_origin}/health",
        ca_file=rehearsal.root_certificate,
    )
    return [backend, caddy]


def ready_message(rehearsal: Rehearsal, settings: Settings, mail: str) -> str:
    where = env_file_label(rehearsal.env_file)
    user = f"make user EMAIL=you@example.com ENV_FILE={where}"
    lines = ["", "=" * 72]
    if preflight.has_frontend():
        lines += [
            f"Ready (production rehearsal): open {rehearsal.app_origin}",
            f"  API: {rehearsal.api_origin} (no /docs in production)",
        ]
    else:
        lines.append(f"Ready (production rehearsal): the API answers at {rehearsal.api_origin}")
    lines += [
        f"  http://localhost:{rehearsal.http_port} redirects to https.",
        f"  Backend: {rehearsal.workers} uvicorn workers on 127.0.0.1, reached through Caddy only;",
        f"  settings from {where} (ENVIRONMENT=production).",
        f"  Mail {mail}.",
        "  Certificate: signed by Caddy's local CA, trusted by nothing yet. To trust it in one",
        "  browser on this machine, import this file as a certificate authority there:",
        f"    {rehearsal.root_certificate}",
        "  (Chromium: Settings > Privacy and security > Security > Manage certificates;",
        "  Firefox: Settings > Privacy & Security > View Certificates > Authorities).",
        f"  Or, for one command: curl --cacert <that file> {rehearsal.api_origin}/health",
        f"  First account: {user}",
    ]
    if settings.allow_registration and preflight.has_frontend():
        lines.append("  (or register in the app)")
    lines += ["Ctrl-C stops everything.", "=" * 72, ""]
    return "\n".join(lines)


def port(value: str) -> int:
    number = int(value)
    if not 1024 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port; use 1024-65535")
    return number


def parse(argv: list[str] | None) -> Rehearsal:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--env-file",
        type=Path,
        default=production_env.PRODUCTION_ENV,
        help="the production settings (default: backend/.env.production, made by 'make env')",
    )
    parser.add_argument("--app-port", type=port, help=f"default {production_env.APP_PORT}")
    parser.add_argument("--api-port", type=port, help=f"default {production_env.API_PORT}")
    parser.add_argument("--http-port", type=port, help=f"default {production_env.HTTP_PORT}")
    parser.add_argument("--workers", type=int, help="default: one per CPU, at least 2")
    parser.add_argument(
        "--caddy-dir",
        type=Path,
        default=CADDY_DIR,
        help="where Caddy keeps its CA (default .caddy/)",
    )
    args = parser.parse_args(argv)
    if args.workers is not None and not 1 <= args.workers <= 64:
        parser.error(f"--workers {args.workers}: use 1-64")
    return Rehearsal(
        env_file=args.env_file.resolve(),
        app_port=args.app_port or production_env.APP_PORT,
        api_port=args.api_port or production_env.API_PORT,
        http_port=args.http_port or production_env.HTTP_PORT,
        workers=args.workers or default_workers(),
        caddy_dir=args.caddy_dir.resolve(),
        ports_given=args.app_port is not None or args.api_port is not None,
    )


def main(argv: list[str] | None = None) -> int:
    rehearsal = parse(argv)
    stop = StopRequest()
    # Every process of the run (build, migration, workers) reads the production file.
    os.environ.update(backend_environment(rehearsal))
    try:
        settings = check(rehearsal)
        if preflight.has_frontend():
            build_frontend(rehearsal, settings)
        migrate()
    except (preflight.PreflightError, envfile.EnvFileError, subprocess.TimeoutExpired) as error:
        if stop.requested:  # Ctrl-C during a build or a migration: not an error.
            return 0
        print(f"error: {error}", file=sys.stderr)
        return 1
    catcher, mail = mail_server(settings)
    started = ([catcher] if catcher else []) + servers(rehearsal, free_port())
    return run(started, lambda: ready_message(rehearsal, settings, mail), stop)


if __name__ == "__main__":
    sys.exit(main())
