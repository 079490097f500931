"""Fixtures of the scripts' tests: a private copy of the files the scripts work on, with fresh
`.env` files, so a test may break it; and a way to run a script as `make` runs it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
SECRET_LINE = re.compile(r"^BETTER_AUTH_SECRET=(.*)$", re.MULTILINE)
PREVIOUS_LINE = re.compile(r"^BETTER_AUTH_SECRET_PREVIOUS=(.*)$", re.MULTILINE)
# What the scripts read besides themselves: the secret rule and the committed examples.
PROJECT_FILES = (
    "backend/app/secret_policy.py",
    "backend/app/secret_policy.json",
    "backend/.env.example",
    "frontend/.env.example",
    "frontend/package.json",
)


def run_script(
    project: Path, name: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python scripts/NAME ARGS` in `project`, what it printed captured."""
    return subprocess.run(
        [sys.executable, str(project / "scripts" / name), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def env_value(path: Path, line: re.Pattern[str]) -> str:
    match = line.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match else ""


def secrets_of(project: Path) -> tuple[str, ...]:
    """The BETTER_AUTH_SECRET of each `.env` file: backend first, then frontend when baked."""
    return tuple(env_value(path, SECRET_LINE) for path in env_files(project))


def env_files(project: Path) -> list[Path]:
    candidates = (project / "backend" / ".env", project / "frontend" / ".env")
    return [path for path in candidates if path.exists()]


def set_env_value(path: Path, key: str, value: str) -> None:
    lines = [
        f"{key}={value}" if line.startswith(f"{key}=") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """This project's scripts and the files they read, copied, with `.env` files made by
    `scripts/init_env.py` as `make env` makes them."""
    copy = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR / "scripts", copy / "scripts", ignore=shutil.ignore_patterns("__pycache__")
    )
    for relative in PROJECT_FILES:
        if (PROJECT_DIR / relative).exists():
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(PROJECT_DIR / relative, copy / relative)
    created = run_script(copy, "init_env.py")
    assert created.returncode == 0, created.stderr
    return copy
