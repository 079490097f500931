"""What must hold for every variant of the matrix, read straight off the baked files."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Bake
from tests.support import (
    REPO,
    TOOLS_BIN,
    Variant,
    env_secret,
    is_raw_copied,
    project_files,
    require_tool,
    variant_params,
)

LEFTOVER_MARKER = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")
MIN_SECRET_BYTES = 32


@pytest.fixture(params=variant_params())
def baked(request: pytest.FixtureRequest, bake: Callable[[Variant], Bake]) -> Bake:
    result = bake(request.param)
    assert result.exit_code == 0, f"bake failed: {result.exception!r}"
    return result


def env_files(baked: Bake) -> list:
    files = [baked.project / "backend" / ".env"]
    if baked.variant.has_frontend:
        files.append(baked.project / "frontend" / ".env")
    return files


def test_rendered_files_hold_no_template_markers(baked: Bake) -> None:
    leftovers = []
    for path in project_files(baked.project):
        if is_raw_copied(path):
            continue
        text = path.read_text(encoding="utf-8")
        leftovers += [f"{path}: {m.group(0)!r}" for m in LEFTOVER_MARKER.finditer(text)]
    assert leftovers == []


def test_frontend_is_present_exactly_when_asked_for(baked: Bake) -> None:
    frontend = baked.project / "frontend"
    assert frontend.exists() == baked.variant.has_frontend


def test_frontend_reads_the_project_name_from_json(baked: Bake) -> None:
    project_json = baked.project / "frontend" / "src" / "project.json"
    if not baked.variant.has_frontend:
        assert not project_json.exists()
        return
    default_name = json.loads((REPO / "cookiecutter.json").read_text())["project_name"]
    name = baked.variant.answers.get("project_name", default_name)
    assert json.loads(project_json.read_text(encoding="utf-8")) == {"name": name}


def test_postgres_only_tests_are_present_exactly_for_postgresql(baked: Bake) -> None:
    postgresql = baked.variant.answers.get("database") == "postgresql"
    for name in ("test_postgres_row_locks.py", "test_postgres_connections.py"):
        assert (baked.project / "backend" / "tests" / name).exists() == postgresql, name


def test_env_files_share_one_long_secret(baked: Bake) -> None:
    secrets = {env_secret(path) for path in env_files(baked)}
    assert len(secrets) == 1
    (secret,) = secrets
    assert len(secret.encode()) >= MIN_SECRET_BYTES
    assert "replace-me" not in secret


TOOL_OUTPUT = (
    ".venv",
    "node_modules",
    "dist",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    "htmlcov",
    "artifacts",
    ".caddy",
)


def test_env_files_are_private(baked: Bake) -> None:
    for path in env_files(baked):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_env_examples_hold_only_placeholders(baked: Bake) -> None:
    for path in env_files(baked):
        example = path.with_name(".env.example")
        assert env_secret(example) == "replace-me-run-make-env"


def test_git_ignores_env_files_and_would_commit_the_rest(baked: Bake, tmp_path) -> None:
    git = require_tool("git")
    project = tmp_path / "clone"
    subprocess.run(["cp", "-a", str(baked.project), str(project)], check=True)
    subprocess.run([git, "init", "-q", str(project)], check=True)
    for path in env_files(baked):
        relative = path.relative_to(baked.project)
        ignored = subprocess.run([git, "check-ignore", "-q", str(relative)], cwd=project)
        assert ignored.returncode == 0, f"{relative} is not ignored by git"
    # What the project's own commands leave behind (installs, tool caches, builds, certificates)
    # must never be committed by a plain `git add -A`.
    for made in TOOL_OUTPUT:
        for where in (made, f"backend/{made}", f"frontend/{made}"):
            ignored = subprocess.run([git, "check-ignore", "-q", f"{where}/file"], cwd=project)
            assert ignored.returncode == 0, f"{where}/ is not ignored by git"
    staged = subprocess.run(
        [git, "add", "--dry-run", "-A"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    assert ".env.example" in staged
    assert not re.search(r"\.env'$", staged, re.MULTILINE)


def test_secret_appears_in_no_other_file_nor_the_replay(baked: Bake) -> None:
    secret = env_secret(baked.project / "backend" / ".env")
    holders = [
        path
        for path in project_files(baked.project)
        if path not in env_files(baked) and secret.encode() in path.read_bytes()
    ]
    assert holders == []
    assert baked.replay_texts, "cookiecutter wrote no replay file"
    assert all(secret not in text for text in baked.replay_texts.values())


def test_baked_python_passes_ruff(baked: Bake) -> None:
    ruff = str(TOOLS_BIN / "ruff")
    for command in (["check", "."], ["format", "--check", "."]):
        run = subprocess.run(
            [ruff, *command], cwd=baked.project, capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_ci_workflow_parses_and_names_its_jobs(baked: Bake) -> None:
    workflow = yaml.safe_load((baked.project / ".github" / "workflows" / "ci.yml").read_text())
    expected = {"lint", "backend", "audit", "secrets"}
    if baked.variant.has_frontend:
        expected |= {"frontend", "e2e", "prod"}
    assert set(workflow["jobs"]) == expected
    for job in workflow["jobs"].values():
        commands = " ".join(step.get("run", "") for step in job["steps"])
        assert "make " in commands


def test_production_gets_a_private_ignored_file_with_a_secret_of_its_own(
    baked: Bake, tmp_path: Path
) -> None:
    production = baked.project / "backend" / ".env.production"
    assert stat.S_IMODE(production.stat().st_mode) == 0o600
    secret = env_secret(production)
    assert len(secret.encode()) >= MIN_SECRET_BYTES
    assert secret != env_secret(baked.project / "backend" / ".env")
    files = project_files(baked.project)
    assert [path for path in files if secret.encode() in path.read_bytes()] == [production]
    assert all(secret not in text for text in baked.replay_texts.values())
    git = require_tool("git")
    clone = tmp_path / "clone"
    subprocess.run(["cp", "-a", str(baked.project), str(clone)], check=True)
    subprocess.run([git, "init", "-q", str(clone)], check=True)
    relative = "backend/.env.production"
    ignored = subprocess.run([git, "check-ignore", "-q", relative], cwd=clone, check=False)
    assert ignored.returncode == 0, f"{relative} is not ignored by git"


def test_two_bakes_get_different_secrets(bake: Callable[[Variant], Bake]) -> None:
    first = bake(Variant("defaults"))
    second = bake(Variant("no-registration", {"allow_registration": "no"}))
    assert env_secret(first.project / "backend" / ".env") != env_secret(
        second.project / "backend" / ".env"
    )
