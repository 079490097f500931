"""Invalid answers fail the bake with one line naming the field, and leave no directory behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.pre_gen_project import problems
from tests.support import bake_with_cli

VALID = {
    "project_name": "Acme Portal",
    "project_slug": "acme_portal",
    "description": "Portal",
    "author_name": "Ada",
    "author_email": "ada@example.com",
    "backend_port": "8000",
    "frontend_port": "3000",
    "access_token_minutes": "15",
    "refresh_token_days": "14",
    "jwt_issuer": "acme-api",
    "jwt_audience": "acme-web",
    "allow_registration": "yes",
    "email_verification": "required",
    "include_frontend": "yes",
    "database": "sqlite",
}

# (field, bad value, words the message must contain)
INVALID = [
    ("project_name", "", "must not be empty"),
    ("project_name", "two\nlines", "line break"),
    ("project_name", "x" * 81, "at most 80"),
    ("project_slug", "Acme-Portal", "lowercase letter"),
    ("project_slug", "9lives", "lowercase letter"),
    ("project_slug", "class", "Python keyword"),
    ("project_slug", "a" * 51, "up to 49"),
    ("author_name", "", "must not be empty"),
    ("author_email", "ada.example.com", "not an email address"),
    ("author_email", "ada@localhost", "not an email address"),
    ("backend_port", "80", "1024 to 65535"),
    ("backend_port", "65536", "1024 to 65535"),
    ("frontend_port", "3k", "not a whole number"),
    ("frontend_port", "8000", "must differ"),
    ("access_token_minutes", "4", "5 to 60"),
    ("access_token_minutes", "61", "5 to 60"),
    ("access_token_minutes", "-5", "not a whole number"),
    ("refresh_token_days", "0", "1 to 30"),
    ("refresh_token_days", "31", "1 to 30"),
    ("refresh_token_days", "1.5", "not a whole number"),
    ("jwt_issuer", "", "must not be empty"),
    ("jwt_issuer", "my api", "whitespace"),
    ("jwt_audience", "web\t", "whitespace"),
    ("jwt_audience", "acme-api", "must differ from jwt_issuer"),
    ("jwt_audience", "web;drop", "letters, digits"),
    ("description", "see {{ secret }}", "template marker"),
    ("email_verification", "yes", "use one of required, off"),
    ("email_verification", "Required", "use one of required, off"),
]


def test_valid_answers_have_no_problem() -> None:
    assert problems(VALID) == []


@pytest.mark.parametrize(
    ("field", "value", "words"), INVALID, ids=[f"{f}={v!r}"[:40] for f, v, _ in INVALID]
)
def test_each_rule_names_the_field(field: str, value: str, words: str) -> None:
    found = problems({**VALID, field: value})
    assert len(found) == 1, found
    assert found[0].startswith(f"{field}: ")
    assert words in found[0]


def test_every_problem_is_reported_at_once() -> None:
    found = problems({**VALID, "backend_port": "1", "refresh_token_days": "99", "jwt_issuer": ""})
    assert [line.split(":")[0] for line in found] == [
        "backend_port",
        "refresh_token_days",
        "jwt_issuer",
    ]


CLI_CASES = [
    ("project_slug", "Not-A-Slug"),
    ("backend_port", "99999"),
    ("frontend_port", "8000"),
    ("access_token_minutes", "90"),
    ("refresh_token_days", "0"),
    ("jwt_issuer", "has space"),
    ("author_email", "nobody"),
]


@pytest.mark.parametrize(("field", "value"), CLI_CASES, ids=[f for f, _ in CLI_CASES])
def test_cli_bake_fails_cleanly(field: str, value: str, tmp_path: Path) -> None:
    run = bake_with_cli(tmp_path, f"{field}={value}")
    assert run.returncode != 0
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, run.stderr
    assert error_lines[0].startswith(f"error: {field}: ")
    # cookiecutter 2.7.1 logs its own traceback after a failed hook; ours must come first.
    assert run.stderr.splitlines()[0] == error_lines[0]
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("field", "value"), [("database", "mysql"), ("email_verification", "sometimes")]
)
def test_cli_choice_outside_the_list_fails_before_any_file(
    field: str, value: str, tmp_path: Path
) -> None:
    run = bake_with_cli(tmp_path, f"{field}={value}")
    assert run.returncode != 0
    assert field in run.stdout + run.stderr
    assert list((tmp_path / "out").iterdir()) == []
