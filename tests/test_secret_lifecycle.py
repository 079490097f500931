"""The secret survives re-bakes and re-runs, and changes only when asked, in both files together."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import (
    REPO,
    bake_with_cli,
    cookiecutter_cli,
    env_previous,
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


def run_script(project: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(project / "scripts" / name), *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


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


def test_initialiser_twice_keeps_the_secret(project: Path) -> None:
    before = secrets_of(project)
    for _ in range(2):
        run = run_script(project, "init_env.py")
        assert run.returncode == 0, run.stderr
        assert before[0] not in run.stdout + run.stderr
    assert secrets_of(project) == before


def test_initialiser_replaces_a_weak_secret_in_both_files(project: Path) -> None:
    for name in ("backend", "frontend"):
        path = project / name / ".env"
        path.write_text(path.read_text().replace(env_secret(path), "tooshort"))
    assert run_script(project, "init_env.py").returncode == 0
    backend, frontend = secrets_of(project)
    assert backend == frontend
    assert len(backend) >= 32


def test_force_new_secret_changes_both_files_together(project: Path) -> None:
    before = secrets_of(project)
    run = run_script(project, "init_env.py", "--force-new-secret")
    assert run.returncode == 0, run.stderr
    after = secrets_of(project)
    assert after[0] == after[1]
    assert after[0] != before[0]


def test_rotation_keeps_the_old_secret_as_previous(project: Path) -> None:
    old, _ = secrets_of(project)
    run = run_script(project, "rotate_secret.py")
    assert run.returncode == 0, run.stderr
    new_backend, new_frontend = secrets_of(project)
    assert new_backend == new_frontend != old
    for name in ("backend", "frontend"):
        assert env_previous(project / name / ".env") == old
    # Both files end the old secret's validity at the same UTC instant, which the output names.
    ends = {
        re.search(r"^BETTER_AUTH_SECRET_PREVIOUS_UNTIL=(.*)$", text, re.MULTILINE).group(1)
        for text in ((project / name / ".env").read_text() for name in ("backend", "frontend"))
    }
    (end,) = ends
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", end)
    assert end in run.stdout
    assert old not in run.stdout + run.stderr
    assert new_backend not in run.stdout + run.stderr


def test_rotation_refuses_without_a_secret(project: Path) -> None:
    (project / "backend" / ".env").unlink()
    run = run_script(project, "rotate_secret.py")
    assert run.returncode == 1
    assert "make env" in run.stderr
    assert not (project / "backend" / ".env").exists()


def test_initialiser_names_a_missing_example(project: Path) -> None:
    (project / "backend" / ".env.example").unlink()
    run = run_script(project, "init_env.py")
    assert run.returncode == 1
    assert "backend/.env.example: missing" in run.stderr


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
