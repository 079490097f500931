"""`python -m app.openapi`, the schema the typed frontend client is generated from: the same
bytes in every process and checkout, whatever `backend/.env` or the environment say; routes as
the committed `.env.example` configures them; each operation named once, after its function."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI

from app import openapi
from app.main import create_app
from app.openapi import SchemaError, canonical_schema
from app.settings import Settings

from .conftest import EXAMPLE_ENV, run_backend, server_environment


def example_with(tmp_path: Path, **values: str) -> Path:
    """A copy of the committed `.env.example` with `values` (KEY=value) in place of its own."""
    lines = [
        f"{line.split('=', 1)[0]}={values[line.split('=', 1)[0]]}"
        if line.split("=", 1)[0] in values
        else line
        for line in EXAMPLE_ENV.read_text().splitlines()
    ]
    path = tmp_path / ".env.example"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_export_ignores_the_environment_and_backend_env(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(32)
    elsewhere = example_with(
        tmp_path,
        ALLOW_REGISTRATION="false",
        EMAIL_VERIFICATION="off",
        BETTER_AUTH_SECRET=secret,
        CORS_ORIGINS="http://elsewhere.test:9999",
    )
    environment = {
        **server_environment(),
        "BACKEND_ENV_FILE": str(elsewhere),
        "ALLOW_REGISTRATION": "false",
        "EMAIL_VERIFICATION": "off",
        "BETTER_AUTH_SECRET": secret,
        "CORS_ORIGINS": "http://elsewhere.test:9999",
        # Another hash seed than this process's: no set or dict order may leak into the bytes.
        "PYTHONHASHSEED": "1",
    }

    run = run_backend(["-m", "app.openapi"], environment)

    assert run.returncode == 0, run.stderr
    assert run.stdout == canonical_schema()
    assert secret not in run.stdout
    assert "elsewhere" not in run.stdout


def test_the_routes_follow_the_committed_example(tmp_path: Path) -> None:
    closed = example_with(tmp_path, ALLOW_REGISTRATION="false", EMAIL_VERIFICATION="off")

    paths = json.loads(canonical_schema(closed))["paths"]

    assert "/auth/register" not in paths
    assert "/auth/verify-email" not in paths
    assert {"/auth/login", "/auth/password/forgot", "/users/me"} <= set(paths)


def test_operations_are_named_after_their_functions() -> None:
    paths = json.loads(canonical_schema())["paths"]

    assert paths["/users/me"]["get"]["operationId"] == "read_me"
    assert paths["/auth/sessions/{session_id}"]["delete"]["operationId"] == "end_session"


def test_two_routes_with_one_name_are_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    def with_a_twin(settings: Settings) -> FastAPI:
        app = create_app(settings)
        twin = APIRouter()

        @twin.get("/users/me/again")
        async def read_me() -> dict[str, str]:
            return {}

        app.include_router(twin)
        return app

    monkeypatch.setattr(openapi, "create_app", with_a_twin)

    with (
        pytest.warns(UserWarning, match="Duplicate Operation ID"),
        pytest.raises(SchemaError, match=r"operation id read_me: .* rename one"),
    ):
        canonical_schema()


def test_the_command_writes_the_file_or_names_what_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "openapi.json"
    assert openapi.main(["--output", str(output)]) == 0
    assert output.read_text(encoding="ascii") == canonical_schema()

    monkeypatch.setattr(openapi, "EXAMPLE_ENV", example_with(tmp_path, ALLOW_REGISTRATION="maybe"))
    assert openapi.main([]) == 1
    error = capsys.readouterr().err
    assert "ALLOW_REGISTRATION" in error
    assert ".env.example" in error
