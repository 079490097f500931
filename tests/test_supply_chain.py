"""Supply chain of every bake: a current lock, pinned and well-formed CI, Dependabot, a history
scan that catches a planted secret, and no reference to documents a bake does not ship."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Bake
from tests.support import (
    BACKEND_VENV,
    CACHE,
    REPO,
    TOOLS_BIN,
    Variant,
    project_files,
    require_tool,
    variant_params,
)
from tests.test_baked_suites import install_backend_exclusively

PINNED_USE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)@([0-9a-f]{40}) # v\d+(?:\.\d+)*\s*$")
ANY_USE = re.compile(r"^\s*(?:-\s+)?uses:", re.MULTILINE)
# What a baked file may not cite: documents and numbering that live only in the template's repo.
EXTERNAL_REFERENCES = re.compile(
    r"\bDESIGN\b|§ ?\d|\.\./shared|(?i:\binvariants? (?:no\. ?)?#?\d)|(?i:\bissues? #?\d)"
)
BASE_JOBS = {"lint", "backend", "audit", "secrets"}
FRONTEND_JOBS = {"frontend", "e2e", "prod"}
# The make target each job must run: the workflow is the same `make` as on a laptop.
JOB_TARGETS = {
    "lint": ("make lock-check", "make lint typecheck"),
    "backend": ("make test-backend test-scripts",),
    "frontend": ("make test-frontend",),
    "e2e": ("make test-e2e",),
    "prod": ("apt-get install -y -qq caddy", "make test-prod"),
    "audit": ("make audit",),
    "secrets": ("make scan-secrets",),
}


@pytest.fixture(params=variant_params())
def baked(request: pytest.FixtureRequest, bake: Callable[[Variant], Bake]) -> Bake:
    result = bake(request.param)
    assert result.exit_code == 0, f"bake failed: {result.exception!r}"
    return result


def test_lock_matches_the_baked_pyproject(baked: Bake) -> None:
    run = subprocess.run(
        [str(TOOLS_BIN / "uv"), "lock", "--check"],
        cwd=baked.project / "backend",
        env={**os.environ, "UV_CACHE_DIR": str(CACHE / "uv")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, (
        "backend/uv.lock no longer matches backend/pyproject.toml in this bake; run 'make lock' "
        f"at the template's root to regenerate it for both databases.\n{run.stderr[-2000:]}"
    )


def test_the_bake_installs_the_uv_the_template_locks_with() -> None:
    makefile = (REPO / "{{cookiecutter.project_slug}}" / "Makefile").read_text()
    baked_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert baked_version, "the baked Makefile names no UV_VERSION"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"uv=={baked_version.group(1)}"' in pyproject


def workflow(baked: Bake) -> tuple[str, dict[str, Any]]:
    text = (baked.project / ".github" / "workflows" / "ci.yml").read_text()
    return text, yaml.safe_load(text)


def test_ci_actions_are_pinned_by_commit_with_their_release(baked: Bake) -> None:
    text, _ = workflow(baked)
    uses = [line for line in text.splitlines() if ANY_USE.match(line)]
    assert uses, "the workflow uses no action"
    unpinned = [line.strip() for line in uses if not PINNED_USE.match(line)]
    assert unpinned == [], "pin by 40-hex commit with '# vX.Y.Z' after it"
    commits: dict[str, set[str]] = {}
    for line in uses:
        match = PINNED_USE.match(line)
        assert match
        commits.setdefault(match.group(1), set()).add(match.group(2))
    assert all(len(pins) == 1 for pins in commits.values()), commits


def test_ci_workflow_reads_only_and_runs_every_check(baked: Bake) -> None:
    _, parsed = workflow(baked)
    assert parsed["permissions"] == {"contents": "read"}
    expected = BASE_JOBS | (FRONTEND_JOBS if baked.variant.has_frontend else set())
    assert set(parsed["jobs"]) == expected
    for name, job in parsed["jobs"].items():
        assert job.get("permissions") in (None, {"contents": "read"}), name
        commands = "\n".join(step.get("run", "") for step in job["steps"])
        for target in JOB_TARGETS[name]:
            assert target in commands, f"job {name} does not run {target!r}"
        checkout = next(step for step in job["steps"] if "checkout" in step.get("uses", ""))
        assert checkout["with"]["persist-credentials"] is False, name
    history = next(s for s in parsed["jobs"]["secrets"]["steps"] if "checkout" in s.get("uses", ""))
    assert history["with"]["fetch-depth"] == 0, "the scan needs every commit"


def test_dependabot_watches_every_ecosystem_weekly(baked: Bake) -> None:
    config = yaml.safe_load((baked.project / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    watched = {(item["package-ecosystem"], item["directory"]) for item in config["updates"]}
    expected = {("uv", "/backend"), ("github-actions", "/")}
    if baked.variant.has_frontend:
        expected.add(("npm", "/frontend"))
    assert watched == expected
    for item in config["updates"]:
        assert item["schedule"]["interval"] == "weekly"
        groups = item["groups"].values()
        if item["package-ecosystem"] != "github-actions":
            kinds = {group.get("applies-to") for group in groups}
            assert kinds == {"security-updates", "version-updates"}, item


def test_no_baked_file_cites_what_the_bake_does_not_ship(baked: Bake) -> None:
    citing = []
    for path in project_files(baked.project):
        if path.name in ("uv.lock", "package-lock.json"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += [
            f"{path.relative_to(baked.project)}:{text.count(chr(10), 0, m.start()) + 1}: {m[0]!r}"
            for m in EXTERNAL_REFERENCES.finditer(text)
        ]
    assert citing == [], "say it in SECURITY.md or docs/ instead of citing it"


def git_repository(source: Path, target: Path) -> Path:
    git = require_tool("git")
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    subprocess.run([git, "init", "-q", str(target)], check=True)
    commit(target, "the bake")
    return target


def commit(repository: Path, message: str) -> None:
    git = require_tool("git")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([git, "-C", str(repository), "add", "-A"], check=True)
    subprocess.run([git, *identity, "-C", str(repository), "commit", "-qm", message], check=True)


def scan(repository: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BACKEND_VENV / "bin" / "python"), "scripts/scan_secrets.py"],
        cwd=repository,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.xdist_group("defaults")
def test_history_scan_passes_a_clean_bake_and_catches_a_deleted_secret(
    bake: Callable[[Variant], Bake], tmp_path: Path
) -> None:
    project = bake(Variant("defaults")).project
    install_backend_exclusively(project)
    repository = git_repository(project, tmp_path / "repo")
    clean = scan(repository)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ok: no secret" in clean.stdout

    planted = secrets.token_urlsafe(48)
    settings = repository / "backend" / "app" / "local_settings.py"
    settings.write_text(f'"""Left over from a debugging session."""\n\nAPI_KEY = "{planted}"\n')
    commit(repository, "debugging")
    settings.unlink()
    commit(repository, "remove the leftover")
    caught = scan(repository)
    assert caught.returncode == 1
    assert re.search(r"backend/app/local_settings\.py:3: .*High Entropy String", caught.stderr)
    assert planted not in caught.stdout + caught.stderr, "the scan must not print the value"


@pytest.mark.xdist_group("defaults")
def test_history_scan_catches_a_real_secret_in_an_env_example(
    bake: Callable[[Variant], Bake], tmp_path: Path
) -> None:
    project = bake(Variant("defaults")).project
    install_backend_exclusively(project)
    repository = git_repository(project, tmp_path / "repo")
    example = repository / "backend" / ".env.example"
    example.write_text(
        example.read_text().replace(
            "BETTER_AUTH_SECRET=replace-me-run-make-env",
            f"BETTER_AUTH_SECRET={secrets.token_urlsafe(48)}",
        )
    )
    commit(repository, "a real secret where the placeholder was")
    caught = scan(repository)
    assert caught.returncode == 1
    assert "backend/.env.example:" in caught.stderr
