"""The production env file, `backend/.env.production`: where it lives and what it starts with.

`make env` creates it beside the development files, from `backend/.env.example`, with a secret of
its own (a leaked development secret must never sign production tokens), and the values the
rehearsal (`make prod`) needs: production mode, the app's https origin, a database of its own.
After that it is the operator's file: `make env` only replaces a secret that is unusable or equal
to the development one, and appends settings the example gained. Standard library only, like
`envfile.py`: the bake's hook runs it before any virtualenv exists.
"""

from __future__ import annotations

from pathlib import Path

import envfile

PROJECT_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = PROJECT_DIR / "backend" / ".env.production"
# The rehearsal's addresses: the app, the API on an origin of its own, and the plain-http port
# whose only job is redirecting to https. Each can be changed for one run (`make prod APP_PORT=`).
APP_PORT = 8443
API_PORT = 8444
HTTP_PORT = 8080
# A database of its own, so a rehearsal never touches the development data (backend/app.db).
SQLITE_DATABASE_URL = "sqlite:///./production.db"
HEADER = (
    "# Production settings: read by `make prod` and, on a server, by the backend when\n"
    "# BACKEND_ENV_FILE names this file. `make env` wrote it with a secret of its own (never the\n"
    "# development one); the comments below come from backend/.env.example.\n"
)


def local_origin(port: int) -> str:
    """The https origin of a site Caddy serves on this machine."""
    return f"https://localhost:{port}"


def first_values(example: dict[str, str], secret: str) -> dict[str, str]:
    """What a new production file holds besides the example's defaults."""
    values = {
        "ENVIRONMENT": "production",
        envfile.SECRET_KEY: secret,
        "CORS_ORIGINS": local_origin(APP_PORT),
        "APP_URL": local_origin(APP_PORT),
    }
    # A PostgreSQL project keeps the example's placeholder URL: only its owner knows the database.
    if example.get("DATABASE_URL", "").startswith("sqlite"):
        values["DATABASE_URL"] = SQLITE_DATABASE_URL
    return values


def choose_secret(current: str | None, development: str | None) -> tuple[str, str]:
    """The production secret, and a sentence saying where it came from."""
    if current is not None and envfile.secret_problem(envfile.SECRET_KEY, current) is None:
        if current != development:
            return current, "kept its own secret"
        return envfile.new_secret(), "gave it a new secret (it held the development one)"
    return envfile.new_secret(), "generated its own secret"


def write(development_secret: str | None) -> str:
    """Create or complete the production file; returns a sentence saying what was done."""
    example_path = PROJECT_DIR / "backend" / ".env.example"
    example_text = example_path.read_text(encoding="utf-8")
    existed = PRODUCTION_ENV.exists()
    current_text = PRODUCTION_ENV.read_text(encoding="utf-8") if existed else ""
    secret, origin = choose_secret(
        envfile.parse(current_text).get(envfile.SECRET_KEY), development_secret
    )
    if existed:
        text = envfile.merge(current_text, example_text, {envfile.SECRET_KEY: secret})
    else:
        values = first_values(envfile.parse(example_text), secret)
        text = HEADER + envfile.merge("", example_text, values)
    envfile.write_private(PRODUCTION_ENV, text)
    return f"{PRODUCTION_ENV.relative_to(PROJECT_DIR)}: {origin}"
