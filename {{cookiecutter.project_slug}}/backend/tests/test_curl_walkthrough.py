"""docs/try-it-with-curl.md runs as written: its commands, in one shell, against a live backend
on a free port, print what the page says they print (`<...>` stands for what differs)."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import BACKEND_DIR

from .conftest import FAST_ARGON2, run_backend, server_environment
from .test_two_instances import Instance, launch

PAGE = BACKEND_DIR.parent / "docs" / "try-it-with-curl.md"
CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
PLACEHOLDER = re.compile(r"<[^<>\n]+>")
EMAIL = "ada@example.com"
# The page's commands run the project's virtualenv Python; the test runs this interpreter.
PAGE_PYTHON = "../.venv/bin/python"
MARKER = "@@walkthrough-step@@"


def steps() -> list[tuple[str, str]]:
    """(command, expected output) for each `$ ` line of the page's console blocks, in order."""
    found: list[tuple[str, list[str]]] = []
    for block in CONSOLE_BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            else:
                found[-1][1].append(line)
    return [(command, "\n".join(expected)) for command, expected in found]


def matches(expected: str, actual: str) -> bool:
    pieces = PLACEHOLDER.split(expected)
    pattern = ".*?".join(re.escape(piece) for piece in pieces)
    return re.fullmatch(pattern, actual.strip(), re.DOTALL) is not None


@pytest.fixture
def backend(database_url: str, tmp_path: Path) -> Iterator[tuple[Instance, dict[str, str]]]:
    """A live backend with the page's account, and the environment its commands run in."""
    environment = server_environment(
        better_auth_secret=secrets.token_urlsafe(48),
        database_url=database_url,
        **FAST_ARGON2,
    )
    password = secrets.token_urlsafe(18)
    created = run_backend(
        ["-m", "app.create_user", "--email", EMAIL],
        {**environment, "CREATE_USER_PASSWORD": password},
    )
    assert created.returncode == 0, created.stderr
    instance = launch(environment, tmp_path / "backend.log")
    try:
        yield instance, {**environment, "API": instance.url, "PASSWORD": password}
    finally:
        instance.stop()


def test_every_step_prints_what_the_page_says(
    backend: tuple[Instance, dict[str, str]], tmp_path: Path
) -> None:
    if shutil.which("curl") is None:
        reason = "curl is not installed; the walkthrough needs it (apt-get install curl)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: a missing tool is a failure)")
        pytest.skip(reason)
    _instance, environment = backend
    walkthrough = steps()
    assert len(walkthrough) >= 10, "the page lost its steps"
    # Where the page's commands run: the project's root, as far as `cd backend` is concerned.
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / "backend").symlink_to(BACKEND_DIR)
    script = "\n".join(
        f"echo {MARKER}\n{command.replace(PAGE_PYTHON, shlex.quote(sys.executable))}"
        for command, _ in walkthrough
    )
    run = subprocess.run(  # noqa: S603 - bash with the page's own commands
        ["/bin/bash", "-c", script],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = run.stdout.split(f"{MARKER}\n")[1:]
    assert len(outputs) == len(walkthrough), run.stdout + run.stderr
    for (command, expected), actual in zip(walkthrough, outputs, strict=True):
        assert matches(expected, actual), f"$ {command}\nexpected:\n{expected}\ngot:\n{actual}"
    assert environment["PASSWORD"] not in run.stdout + run.stderr
