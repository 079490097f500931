"""`make env`, `make new-secret` and `make rotate-secret`: the secret survives re-runs and changes
only when asked, in both `.env` files together, and is never printed."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import PREVIOUS_LINE, SECRET_LINE, env_files, env_value, run_script, secrets_of

MIN_SECRET_BYTES = 32


def test_initialiser_twice_keeps_the_secret(project: Path) -> None:
    before = secrets_of(project)
    for _ in range(2):
        run = run_script(project, "init_env.py")
        assert run.returncode == 0, run.stderr
        assert before[0] not in run.stdout + run.stderr
        assert "kept the existing secret" in run.stdout
    assert secrets_of(project) == before


def test_every_env_file_holds_one_long_secret(project: Path) -> None:
    secrets = set(secrets_of(project))
    assert len(secrets) == 1
    (secret,) = secrets
    assert len(secret.encode()) >= MIN_SECRET_BYTES


def test_initialiser_replaces_a_weak_secret_in_every_file(project: Path) -> None:
    for path in env_files(project):
        path.write_text(path.read_text().replace(env_value(path, SECRET_LINE), "tooshort"))
    run = run_script(project, "init_env.py")
    assert run.returncode == 0, run.stderr
    assert "generated a new secret" in run.stdout
    after = set(secrets_of(project))
    assert len(after) == 1
    assert len(after.pop()) >= MIN_SECRET_BYTES


def test_initialiser_keeps_values_the_user_edited(project: Path) -> None:
    backend_env = project / "backend" / ".env"
    edited = backend_env.read_text().replace("JWT_LEEWAY_SECONDS=10", "JWT_LEEWAY_SECONDS=7")
    backend_env.write_text(edited + "MY_OWN_SETTING=kept\n")
    assert run_script(project, "init_env.py").returncode == 0
    text = backend_env.read_text()
    assert "JWT_LEEWAY_SECONDS=7" in text
    assert "MY_OWN_SETTING=kept" in text


def test_force_new_secret_changes_every_file_together(project: Path) -> None:
    before = secrets_of(project)
    run = run_script(project, "init_env.py", "--force-new-secret")
    assert run.returncode == 0, run.stderr
    after = secrets_of(project)
    assert len(set(after)) == 1
    assert after[0] != before[0]


def test_rotation_keeps_the_old_secret_as_previous_until_one_instant(project: Path) -> None:
    (old, *_) = secrets_of(project)
    run = run_script(project, "rotate_secret.py")
    assert run.returncode == 0, run.stderr
    new = set(secrets_of(project))
    assert len(new) == 1
    assert old not in new
    for path in env_files(project):
        assert env_value(path, PREVIOUS_LINE) == old
    # Every file ends the old secret's validity at the same UTC instant, which the output names.
    until = re.compile(r"^BETTER_AUTH_SECRET_PREVIOUS_UNTIL=(.*)$", re.MULTILINE)
    (end,) = {env_value(path, until) for path in env_files(project)}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", end)
    assert end in run.stdout
    assert old not in run.stdout + run.stderr
    assert new.pop() not in run.stdout + run.stderr


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
