"""`scripts/init_env.py` and `scripts/rotate_secret.py`, run with the system's python3 as `make
env` and `make rotate-secret` run them, on a copy of this project's files."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dotenv import dotenv_values

from app.settings import BACKEND_DIR, UNTIL_FORMAT, load_settings

from .conftest import BAKED_DATABASE

PROJECT_DIR = BACKEND_DIR.parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The scripts, the .env.example files and the secret rule, as a project directory."""
    shutil.copytree(PROJECT_DIR / "scripts", tmp_path / "scripts")
    (tmp_path / "backend" / "app").mkdir(parents=True)
    shutil.copy(BACKEND_DIR / ".env.example", tmp_path / "backend" / ".env.example")
    for name in ("secret_policy.py", "secret_policy.json"):
        shutil.copy(BACKEND_DIR / "app" / name, tmp_path / "backend" / "app" / name)
    if (PROJECT_DIR / "frontend" / ".env.example").exists():
        (tmp_path / "frontend").mkdir()
        shutil.copy(
            PROJECT_DIR / "frontend" / ".env.example", tmp_path / "frontend" / ".env.example"
        )
    return tmp_path


def run(project: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    python = shutil.which("python3") or sys.executable
    return subprocess.run(  # noqa: S603 - a script of this project
        [python, str(project / "scripts" / script), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def env_files(project: Path) -> list[Path]:
    return [
        path
        for path in (project / "backend" / ".env", project / "frontend" / ".env")
        if path.exists()
    ]


def test_init_replaces_a_secret_that_is_not_random(project: Path) -> None:
    assert run(project, "init_env.py").returncode == 0
    backend_env = project / "backend" / ".env"
    weak = "a" * 48
    for path in env_files(project):
        text = path.read_text()
        path.write_text(text.replace(str(dotenv_values(path)["BETTER_AUTH_SECRET"]), weak))
    result = run(project, "init_env.py")
    assert result.returncode == 0, result.stderr
    assert "generated a new secret" in result.stdout
    assert dotenv_values(backend_env)["BETTER_AUTH_SECRET"] != weak


def test_rotation_writes_the_end_of_the_previous_secret_to_every_env_file(project: Path) -> None:
    assert run(project, "init_env.py").returncode == 0
    backend_env = project / "backend" / ".env"
    backend_env.write_text(
        backend_env.read_text().replace("ACCESS_TOKEN_MINUTES=", "ACCESS_TOKEN_MINUTES=7\n#")
    )
    old = dotenv_values(backend_env)["BETTER_AUTH_SECRET"]
    started = time.time()
    result = run(project, "rotate_secret.py")
    assert result.returncode == 0, result.stderr
    for path in env_files(project):
        values = dotenv_values(path)
        assert values["BETTER_AUTH_SECRET_PREVIOUS"] == old
        until = datetime.strptime(str(values["BETTER_AUTH_SECRET_PREVIOUS_UNTIL"]), UNTIL_FORMAT)
        end = until.replace(tzinfo=UTC).timestamp()
        assert started + 7 * 60 + 10 <= end <= time.time() + 7 * 60 + 10 + 1
        assert values["BETTER_AUTH_SECRET_PREVIOUS_UNTIL"] in result.stdout
    assert old not in result.stdout + result.stderr
    settings = load_settings(_env_file=backend_env, argon2_memory_kib=64, argon2_parallelism=1)
    assert settings.previous_secret_until is not None


def test_rotation_refuses_a_lifetime_it_cannot_read(project: Path) -> None:
    assert run(project, "init_env.py").returncode == 0
    backend_env = project / "backend" / ".env"
    backend_env.write_text(backend_env.read_text() + "ACCESS_TOKEN_MINUTES=soon\n")
    before = backend_env.read_text()
    result = run(project, "rotate_secret.py")
    assert result.returncode == 1
    assert "ACCESS_TOKEN_MINUTES in backend/.env is 'soon'" in result.stderr
    assert backend_env.read_text() == before


# --- Production: backend/.env.production ------------------------------------------------------


def test_env_gives_production_a_file_and_a_secret_of_its_own(project: Path) -> None:
    result = run(project, "init_env.py")
    assert result.returncode == 0, result.stderr
    production = project / "backend" / ".env.production"
    assert stat.S_IMODE(production.stat().st_mode) == 0o600
    values = dotenv_values(production)
    development = dotenv_values(project / "backend" / ".env")
    assert values["BETTER_AUTH_SECRET"] != development["BETTER_AUTH_SECRET"]
    assert str(values["BETTER_AUTH_SECRET"]) not in result.stdout + result.stderr
    assert "backend/.env.production: generated its own secret" in result.stdout
    assert values["ENVIRONMENT"] == "production"
    assert values["CORS_ORIGINS"] == values["APP_URL"] == "https://localhost:8443"
    example = dotenv_values(project / "backend" / ".env.example")
    if BAKED_DATABASE == "sqlite":
        assert values["DATABASE_URL"] == "sqlite:///./production.db"
    else:
        assert values["DATABASE_URL"] == example["DATABASE_URL"], "its owner fills it in"
    # Usable as it is, in production mode, by the backend's own rules.
    settings = load_settings(_env_file=production)
    assert settings.is_production
    assert settings.cookie_prefix == "__Secure-"


def test_env_keeps_the_production_file_but_never_the_development_secret_in_it(
    project: Path,
) -> None:
    assert run(project, "init_env.py").returncode == 0
    production = project / "backend" / ".env.production"
    kept = dotenv_values(production)["BETTER_AUTH_SECRET"]
    production.write_text(production.read_text() + "MAIL_FROM=ops@example.org\n")
    again = run(project, "init_env.py")
    assert "backend/.env.production: kept its own secret" in again.stdout
    assert dotenv_values(production)["BETTER_AUTH_SECRET"] == kept
    assert dotenv_values(production)["MAIL_FROM"] == "ops@example.org"

    development = str(dotenv_values(project / "backend" / ".env")["BETTER_AUTH_SECRET"])
    production.write_text(production.read_text().replace(str(kept), development))
    replaced = run(project, "init_env.py")
    assert "gave it a new secret (it held the development one)" in replaced.stdout
    assert dotenv_values(production)["BETTER_AUTH_SECRET"] not in (development, kept)

    before = dotenv_values(production)["BETTER_AUTH_SECRET"]
    assert run(project, "init_env.py", "--force-new-secret").returncode == 0
    assert dotenv_values(production)["BETTER_AUTH_SECRET"] == before, "a development reset only"
    assert dotenv_values(project / "backend" / ".env")["BETTER_AUTH_SECRET"] != development
