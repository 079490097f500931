"""The secret survives re-bakes and re-runs, and changes only when asked, in both files together."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import (
    REPO,
    bake_with_cli,
    cookiecutter_cli,
    env_secret,
    project_files,
    require_tool,
    write_cookiecutter_config,
)

SLUG = "lifecycle_app"


def bake_cli(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return bake_with_cli(tmp_path, f"project_slug={SLUG}", *extra)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    run = bake_cli(tmp_path)
    assert run.returncode == 0, run.stderr
    return tmp_path / "out" / SLUG


def secrets_of(project: Path) -> tuple[str, str]:
    return env_secret(project / "backend" / ".env"), env_secret(project / "frontend" / ".env")


def test_rebake_with_force_keeps_secret_and_user_edits(project: Path, tmp_path: Path) -> None:
    before = secrets_of(project)
    backend_env = project / "backend" / ".env"
    edited = backend_env.read_text().replace("ACCESS_TOKEN_MINUTES=15", "ACCESS_TOKEN_MINUTES=7")
    backend_env.write_text(edited + "MY_OWN_SETTING=kept\n")
    run = bake_cli(tmp_path, "-f")
    assert run.returncode == 0, run.stderr
    assert secrets_of(project) == before
    text = backend_env.read_text()
    assert "ACCESS_TOKEN_MINUTES=7" in text
    assert "MY_OWN_SETTING=kept" in text
    assert "kept the existing secret" in run.stdout


def test_rebake_restores_a_lost_frontend_env_from_the_backend(
    project: Path, tmp_path: Path
) -> None:
    backend_secret, _ = secrets_of(project)
    (project / "frontend" / ".env").unlink()
    assert bake_cli(tmp_path, "-f").returncode == 0
    assert secrets_of(project) == (backend_secret, backend_secret)


def test_backend_only_rebake_keeps_a_frontend_that_holds_state(
    project: Path, tmp_path: Path
) -> None:
    frontend_env = (project / "frontend" / ".env").read_text()
    run = bake_cli(tmp_path, "-f", "include_frontend=no")
    assert run.returncode == 0, run.stderr
    assert (project / "frontend" / ".env").read_text() == frontend_env
    assert "left in place" in run.stdout


def test_replay_bakes_again_with_a_fresh_secret(project: Path, tmp_path: Path) -> None:
    first, _ = secrets_of(project)
    config = tmp_path / "home" / "config.yaml"
    replay_dir = tmp_path / "home" / "replay"
    assert all(first not in path.read_text() for path in replay_dir.iterdir())
    second_output = tmp_path / "again"
    second_output.mkdir()
    run = cookiecutter_cli(
        str(REPO), "--replay", "--config-file", str(config), "-o", str(second_output)
    )
    assert run.returncode == 0, run.stderr
    again = second_output / SLUG
    assert env_secret(again / "backend" / ".env") not in ("", first)


def test_git_url_bakes_the_committed_template(tmp_path: Path) -> None:
    git = require_tool("git")
    clone = tmp_path / "secure-stack"
    listed = subprocess.run(
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / name.decode()
        if source.is_file():
            target = clone / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([git, "init", "-q", str(clone)], check=True)
    subprocess.run([git, "-C", str(clone), "add", "-A"], check=True)
    subprocess.run([git, *identity, "-C", str(clone), "commit", "-qm", "t"], check=True)
    config = write_cookiecutter_config(tmp_path / "home")
    output = tmp_path / "out"
    output.mkdir()
    run = cookiecutter_cli(
        f"git+file://{clone}", "--no-input", "--config-file", str(config), "-o", str(output)
    )
    assert run.returncode == 0, run.stderr
    baked = output / "secure_stack_app"
    assert env_secret(baked / "backend" / ".env") == env_secret(baked / "frontend" / ".env")
    assert len(project_files(baked)) > 10
