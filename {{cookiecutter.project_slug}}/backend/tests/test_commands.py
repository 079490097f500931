"""The operator commands: `python -m app.doctor` and `python -m app.create_user`."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import create_user, doctor
from app.services import build_services
from app.settings import ENV_FILE_VARIABLE, load_settings
from app.tokens import AccessTokens

from .conftest import EXAMPLE_ENV, run_backend
from .forge import sign, valid_claims

BACKEND_DIR = Path(__file__).resolve().parent.parent
FAST_ARGON2_LINES = "ARGON2_TIME_COST=1\nARGON2_MEMORY_KIB=64\nARGON2_PARALLELISM=1\n"


def write_env(path: Path, secret: str, database: Path, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    example = EXAMPLE_ENV.read_text().replace("replace-me-run-make-env", secret)
    path.write_text(f"{example}\nDATABASE_URL=sqlite:///{database}\n{FAST_ARGON2_LINES}")
    path.chmod(mode)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with matching backend and frontend `.env` files."""
    secret = secrets.token_urlsafe(48)
    write_env(tmp_path / "backend" / ".env", secret, tmp_path / "app.db")
    write_env(tmp_path / "frontend" / ".env", secret, tmp_path / "app.db")
    return tmp_path


def run_doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = doctor.main(list(argv))
    return code, capsys.readouterr().out


def test_doctor_is_happy_with_a_healthy_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 0
    assert out.startswith("ok:")


def test_doctor_reports_a_missing_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "frontend" / ".env").unlink()
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert "frontend/.env is missing: run 'make env'" in out


def test_doctor_reports_mismatch_readable_files_and_short_secrets(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frontend_secret = secrets.token_urlsafe(48)
    write_env(project / "frontend" / ".env", frontend_secret, project / "app.db", mode=0o644)
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert "BETTER_AUTH_SECRET differs between backend/.env and frontend/.env" in out
    assert "frontend/.env has mode 0644" in out
    assert frontend_secret not in out
    write_env(project / "backend" / ".env", "short", project / "app.db")
    code, out = run_doctor(capsys, "--project", str(project))
    assert "BETTER_AUTH_SECRET in backend/.env is 5 bytes; it must be at least 32" in out


def test_doctor_without_a_frontend_checks_the_backend_only(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "frontend" / ".env").unlink()
    (project / "frontend").rmdir()
    assert run_doctor(capsys, "--project", str(project))[0] == 0
    (project / "backend" / ".env").unlink()
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert "backend/.env is missing" in out


def test_doctor_names_a_secret_that_is_not_random(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for side in ("backend", "frontend"):
        write_env(project / side / ".env", "a" * 48, project / "app.db")
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert "BETTER_AUTH_SECRET in backend/.env is 48 hex characters, about 192 bits" in out
    assert "BETTER_AUTH_SECRET in frontend/.env is 48 hex characters" in out


def add_rotation(project: Path, previous: str, until: str) -> None:
    for side in ("backend", "frontend"):
        env = project / side / ".env"
        lines = (
            f"BETTER_AUTH_SECRET_PREVIOUS={previous}\nBETTER_AUTH_SECRET_PREVIOUS_UNTIL={until}\n"
        )
        env.write_text(env.read_text() + lines)


def utc(seconds_from_now: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds_from_now, tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_doctor_reports_a_rotation_under_way(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    end = utc(600)
    add_rotation(project, secrets.token_urlsafe(48), end)
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 0, out
    assert f"rotation: BETTER_AUTH_SECRET_PREVIOUS is accepted for verification until {end}" in out


def test_doctor_says_to_remove_an_expired_previous_secret(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    end = utc(-600)
    add_rotation(project, secrets.token_urlsafe(48), end)
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert f"BETTER_AUTH_SECRET_PREVIOUS expired at {end}" in out
    assert "remove it and BETTER_AUTH_SECRET_PREVIOUS_UNTIL from both .env files" in out


def test_doctor_says_to_remove_an_end_without_a_previous_secret(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_rotation(project, "", utc(600))
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert (
        "BETTER_AUTH_SECRET_PREVIOUS_UNTIL is set but BETTER_AUTH_SECRET_PREVIOUS is empty" in out
    )


def test_doctor_reports_invalid_settings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = project / "backend" / ".env"
    env.write_text(env.read_text() + "CORS_ORIGINS=*\n")
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert "CORS_ORIGINS entry '*'" in out


def test_doctor_accepts_a_valid_token(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(_env_file=project / "backend" / ".env")
    token = AccessTokens(settings).issue("user-7")
    code, out = run_doctor(capsys, "--project", str(project), "--token", token)
    assert code == 0
    assert "Accepted" in out
    assert "user-7" in out


def test_doctor_explains_rejections_in_plain_words(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(_env_file=project / "backend" / ".env")
    secret = settings.better_auth_secret.get_secret_value()
    now = int(time.time())
    cases = {
        "expired 3 min ago": sign(valid_claims(settings, exp=now - 180), secret),
        f"wrong audience 'x'; this server expects {settings.jwt_audience!r}": sign(
            valid_claims(settings, aud="x"), secret
        ),
        "signed with another secret": sign(valid_claims(settings), secrets.token_urlsafe(48)),
    }
    for expected, token in cases.items():
        code, out = run_doctor(capsys, "--project", str(project), "--token", token)
        assert code == 1
        assert out.startswith("Rejected: the token ")
        assert expected in out


def test_doctor_reads_the_token_from_stdin(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("not-a-token\n"))
    code, out = run_doctor(capsys, "--project", str(project), "--token", "-")
    assert code == 1
    assert "not a well-formed JWT" in out


def test_doctor_token_check_needs_usable_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    write_env(tmp_path / "backend" / ".env", "short", tmp_path / "app.db")
    code, out = run_doctor(capsys, "--project", str(tmp_path), "--token", "x")
    assert code == 1
    assert "Cannot check tokens" in out


def test_create_user_is_idempotent(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = str(project / "backend" / ".env")
    monkeypatch.setenv(create_user.PASSWORD_VARIABLE, "demo password 2024!")
    assert create_user.main(["--email", "Demo@Example.org", "--env-file", env_file]) == 0
    assert "Created demo@example.org" in capsys.readouterr().out
    again = ["--email", "demo@example.org", "--password", "other password 99", "--env-file"]
    assert create_user.main([*again, env_file]) == 0
    assert "already exists; left unchanged" in capsys.readouterr().out


def test_create_user_makes_verified_accounts_that_can_sign_in(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Operators vouch for the addresses they enter (the demo account is made this way)."""
    env_file = project / "backend" / ".env"
    monkeypatch.setenv("EMAIL_VERIFICATION", "required")
    monkeypatch.setenv(create_user.PASSWORD_VARIABLE, "operator chose this phrase")
    assert create_user.main(["--email", "op@example.org", "--env-file", str(env_file)]) == 0
    services = build_services(load_settings(_env_file=env_file))
    try:
        signed_in = services.logins.sign_in(
            "op@example.org", "operator chose this phrase", client="127.0.0.1"
        )
        user = services.accounts.get(signed_in.user_id)
        assert user is not None
        assert user.email_verified
    finally:
        services.dispose()


def test_create_user_reads_the_password_from_stdin(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(create_user.PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped password 2024\n"))
    env_file = str(project / "backend" / ".env")
    assert create_user.main(["--email", "pipe@example.org", "--env-file", env_file]) == 0
    assert "Created" in capsys.readouterr().out


def test_create_user_applies_the_password_policy(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = str(project / "backend" / ".env")
    code = create_user.main(
        ["--email", "a@example.org", "--password", "password1234", "--env-file", env_file]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "too easy to guess (this is a very common password)" in err
    assert "four or more unrelated words" in err


def test_create_user_refuses_weak_passwords_and_bad_settings(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    env_file = str(project / "backend" / ".env")
    code = create_user.main(
        ["--email", "a@example.org", "--password", "short", "--env-file", env_file]
    )
    assert code == 2
    assert "at least 12 characters" in capsys.readouterr().err
    broken = tmp_path / "broken.env"
    broken.write_text("BETTER_AUTH_SECRET=replace-me-run-make-env\n")
    code = create_user.main(
        [
            "--email",
            "a@example.org",
            "--password",
            "long enough password",
            "--env-file",
            str(broken),
        ]
    )
    assert code == 1
    assert "placeholder" in capsys.readouterr().err


def test_commands_run_as_modules(project: Path) -> None:
    """The exact commands a Makefile calls, as subprocesses from backend/."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BETTER")}
    result = run_backend(["-m", "app.doctor", "--project", str(project)], environment)
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(  # noqa: S603 - this interpreter and a temp path
        [
            sys.executable,
            "-m",
            "app.create_user",
            "--email",
            "module@example.org",
            "--env-file",
            str(project / "backend" / ".env"),
        ],
        cwd=BACKEND_DIR,
        env={**environment, "CREATE_USER_PASSWORD": "quiet harbour lantern 7"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Created module@example.org" in result.stdout


# --- Production: the file BACKEND_ENV_FILE names ----------------------------------------------


@pytest.fixture
def production_env(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """backend/.env.production with a secret of its own, named by BACKEND_ENV_FILE."""
    path = project / "backend" / ".env.production"
    write_env(path, secrets.token_urlsafe(48), project / "production.db")
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(path))
    return path


def test_doctor_checks_the_file_backend_env_file_names(
    production_env: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 0, out
    assert out.startswith(f"ok: {production_env} exists, holds a random secret of its own")


def test_doctor_refuses_a_production_file_holding_the_development_secret(
    production_env: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    development = project / "backend" / ".env"
    shutil.copy(development, production_env)
    production_env.chmod(0o644)
    code, out = run_doctor(capsys, "--project", str(project))
    assert code == 1
    assert f"{production_env} has mode 0644, so other users can read the secret" in out
    assert (
        f"BETTER_AUTH_SECRET in {production_env} is the development secret from backend/.env: "
        f"run 'make env', which gives {production_env} a secret of its own"
    ) in out


def test_create_user_writes_to_the_database_of_the_file_backend_env_file_names(
    production_env: Path,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(create_user.PASSWORD_VARIABLE, "quiet harbour lantern 7")
    assert create_user.main(["--email", "ops@example.org"]) == 0
    assert "Created ops@example.org" in capsys.readouterr().out
    assert (project / "production.db").exists()
    assert not (project / "app.db").exists(), "the development database stays untouched"


def test_create_user_names_a_missing_production_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / ".env.production"
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(missing))
    assert create_user.main(["--email", "ops@example.org", "--password", "quiet harbour 7"]) == 1
    assert f"BACKEND_ENV_FILE names {missing}, which is not a file" in capsys.readouterr().err


def test_migrate_names_a_missing_production_file_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / ".env.production"
    environment = {**os.environ, ENV_FILE_VARIABLE: str(missing)}
    result = run_backend(["-m", "alembic", "upgrade", "head"], environment)
    assert result.returncode == 1
    assert f"BACKEND_ENV_FILE names {missing}, which is not a file" in result.stderr
    assert "Traceback" not in result.stderr
