"""`make scan-secrets`: what any commit added is scanned, deleted secrets included; placeholders
and marked fakes are not secrets; a finding names where, never the value."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, run_script

IDENTITY = ["-c", "user.name=Tester", "-c", "user.email=tester@example.org"]


def git(repository: Path, *args: str) -> None:
    executable = shutil.which("git")
    if executable is None:
        reason = "git is not installed; the history scan needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: a missing tool is a failure)")
        pytest.skip(reason)
    subprocess.run([executable, *IDENTITY, "-C", str(repository), *args], check=True)


def commit(repository: Path, files: dict[str, str | None], message: str) -> None:
    """Write (or, for None, delete) `files` and commit them."""
    for name, text in files.items():
        path = repository / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", message)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository with the scanner in it and a first commit."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "scripts" / "scan_secrets.py", root / "scripts")
    git(root, "init", "-q")
    commit(root, {"README.md": "# A project\n"}, "start")
    return root


def scan(repository: Path) -> subprocess.CompletedProcess[str]:
    return run_script(repository, "scan_secrets.py")


def test_a_clean_history_passes(repository: Path) -> None:
    run = scan(repository)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == "ok: no secret in the added lines of 1 commit(s)\n"


def test_a_secret_deleted_later_is_still_reported_without_its_value(repository: Path) -> None:
    value = secrets.token_urlsafe(48)
    commit(repository, {"app/keys.py": f'TOKEN = "{value}"\n'}, "oops")
    commit(repository, {"app/keys.py": None}, "remove it")
    run = scan(repository)
    assert run.returncode == 1
    assert " app/keys.py:1: Base64 High Entropy String" in run.stderr
    assert "revoke or rotate it now" in run.stderr
    assert value not in run.stdout + run.stderr


def test_env_files_are_read_unquoted_and_their_placeholders_pass(repository: Path) -> None:
    lines = [
        "BETTER_AUTH_SECRET=replace-me-run-make-env",
        "SMTP_URL=smtps://user:password@host:465",
    ]
    example = "".join(f"{line}\n" for line in lines)
    commit(repository, {"backend/.env.example": example}, "placeholders")
    assert scan(repository).returncode == 0
    real = f"BETTER_AUTH_SECRET={secrets.token_urlsafe(48)}\n"
    commit(repository, {"backend/.env.example": example + real}, "a real value")
    run = scan(repository)
    assert run.returncode == 1
    assert "backend/.env.example:3: Base64 High Entropy String" in run.stderr


def test_a_password_in_a_url_is_a_secret(repository: Path) -> None:
    # pragma: allowlist nextline secret
    commit(repository, {"deploy.md": "Use smtps://mailer:Tr0ub4dor-3@mail.example.org\n"}, "mail")
    run = scan(repository)
    assert run.returncode == 1
    assert "deploy.md:1: Basic Auth Credentials" in run.stderr


def test_a_fake_marked_in_a_comment_passes(repository: Path) -> None:
    fake = f'FAKE = "{secrets.token_urlsafe(48)}"  # pragma: allowlist secret\n'
    commit(repository, {"tests/test_fake.py": fake}, "a test's fake secret")
    assert scan(repository).returncode == 0


def test_a_directory_that_is_not_a_repository_is_named(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_DIR / "scripts" / "scan_secrets.py", tmp_path / "scripts")
    run = scan(tmp_path)
    assert run.returncode == 1
    assert run.stderr == (
        f"error: {tmp_path} is not a git repository; run this in the project's clone\n"
    )
