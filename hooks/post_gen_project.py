"""Finish a bake: prune what the answers switched off, create the `.env` files, say what's next.

The secret is made by the baked project's own `scripts/init_env.py`, never here, so it never
lands in a rendered hook left in $TMPDIR, nor in cookiecutter's replay file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def rendered_answers() -> dict[str, object]:
    """The answers of this bake, as cookiecutter rendered them into this file."""
    return json.loads({{cookiecutter | jsonify | tojson}})  # noqa: F821


def prune_frontend(project_dir: Path) -> str | None:
    """Remove the frontend, unless it holds local state from before this bake; say why if kept."""
    frontend = project_dir / "frontend"
    if not frontend.exists():
        return None
    if (frontend / ".env").exists() or (frontend / "node_modules").exists():
        return (
            "include_frontend=no, but frontend/ already holds a .env or node_modules from an "
            "earlier bake; it was left in place. Delete it yourself if you no longer need it."
        )
    shutil.rmtree(frontend)
    return None


# Tests of behaviour only PostgreSQL has (row locks, server restarts); a SQLite bake has nothing
# for them to prove.
POSTGRES_ONLY_FILES = (
    "backend/tests/test_postgres_row_locks.py",
    "backend/tests/test_postgres_connections.py",
)


def prune_postgres_only(project_dir: Path) -> None:
    """Remove what only a PostgreSQL project uses."""
    for relative in POSTGRES_ONLY_FILES:
        (project_dir / relative).unlink(missing_ok=True)


# What generates and checks the typed API client; a project without a frontend has no client.
FRONTEND_ONLY_FILES = (
    "scripts/api_client.py",
    "scripts/tests/test_api_client.py",
)
# The generated client differs by the routes two answers switch on or off, and frontend files are
# copied without rendering: the template keeps the files that differ once per combination (the
# template's `make client` writes them), and the bake keeps its own.
CLIENT_VARIANTS_DIR = "frontend/api-client-variants"
CLIENT_DIR = "frontend/src/client"


def client_variant(answers: Mapping[str, object]) -> str:
    """The name of the client files that describe the routes these answers give."""
    return (
        f"registration-{answers['allow_registration']}_verification-{answers['email_verification']}"
    )


def prune_frontend_only(project_dir: Path) -> None:
    """Remove what only a project with a frontend uses."""
    for relative in FRONTEND_ONLY_FILES:
        (project_dir / relative).unlink(missing_ok=True)


def choose_api_client(project_dir: Path, answers: dict[str, object]) -> None:
    """Move this bake's variant of the generated client into place and drop the others."""
    variants = project_dir / CLIENT_VARIANTS_DIR
    if not variants.is_dir():
        return
    chosen = variants / client_variant(answers)
    for path in sorted(chosen.rglob("*")):
        if path.is_file():
            target = project_dir / CLIENT_DIR / path.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
    shutil.rmtree(variants)


def initialise_env(project_dir: Path) -> None:
    """Run the project's env initialiser: the same command a teammate runs after cloning."""
    subprocess.run(
        [sys.executable, str(project_dir / "scripts" / "init_env.py")],
        cwd=project_dir,
        check=True,
    )


def paint(text: str, colour: str) -> str:
    """`text` in an ANSI colour when writing to a terminal that wants colour."""
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return text
    codes = {"green": "32", "cyan": "36", "yellow": "33", "bold": "1"}
    return f"\033[{codes[colour]}m{text}\033[0m"


def next_steps(project_dir: Path, answers: dict[str, object]) -> list[str]:
    """The few lines a newcomer needs after the bake."""
    frontend = answers.get("include_frontend") == "yes"
    url = f"http://localhost:{answers['frontend_port' if frontend else 'backend_port']}"
    return [
        paint(f"Baked {answers['project_name']} into {project_dir}", "green"),
        paint(f"  cd {project_dir.name}", "cyan"),
        paint("  make dev    ", "cyan") + f"# install, then serve on {url}",
        paint("  make test   ", "cyan") + "# install, then run every test",
        paint("  make prod   ", "cyan") + "# rehearse production over https, behind Caddy",
        "Secrets live in backend/.env"
        + (" and frontend/.env" if frontend else "")
        + ", and production's own in backend/.env.production (mode 0600, git-ignored); "
        + "'make env' recreates them after a fresh clone.",
    ]


def main() -> int:
    project_dir = Path.cwd()
    answers = rendered_answers()
    warning = None
    if answers.get("include_frontend") == "no":
        warning = prune_frontend(project_dir)
        prune_frontend_only(project_dir)
    choose_api_client(project_dir, answers)
    if answers.get("database") != "postgresql":
        prune_postgres_only(project_dir)
    try:
        initialise_env(project_dir)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"error: could not create the .env files: {error}", file=sys.stderr)
        return 1
    if warning:
        print(paint(f"warning: {warning}", "yellow"))
    print("\n".join(next_steps(project_dir, answers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
