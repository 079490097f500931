"""Shared helpers of the template's tests: where things live, how to bake, how to read a bake."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SECURE_STACK_CACHE", REPO / ".cache"))
BACKEND_VENV = CACHE / "backend-venv"
NPM_CACHE = CACHE / "npm"
TOOLS_BIN = Path(sys.executable).parent
SECRET_LINE = re.compile(r"^BETTER_AUTH_SECRET=(.*)$", re.MULTILINE)
PREVIOUS_LINE = re.compile(r"^BETTER_AUTH_SECRET_PREVIOUS=(.*)$", re.MULTILINE)
# Files cookiecutter copies without rendering: template markers in them are the app's own.
RAW_SUFFIXES = (".ts", ".tsx", ".css", ".svg", ".mjs")
RAW_NAMES = ("index.html", "package.json", "package-lock.json")
SKIPPED_DIRS = {
    ".git",
    "node_modules",
    "dist",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
}


@dataclass(frozen=True)
class Variant:
    """One combination of bake answers in the matrix."""

    id: str
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def has_frontend(self) -> bool:
        return self.answers.get("include_frontend", "yes") == "yes"


VARIANTS = [
    Variant("defaults"),
    Variant("backend-only", {"include_frontend": "no"}),
    Variant("no-registration", {"allow_registration": "no"}),
    # Backend only: the frontend does not depend on the database, and the matrix stays fast.
    Variant("postgresql", {"database": "postgresql", "include_frontend": "no"}),
    # Also the matrix's bake without email verification: it has a frontend (its browser suite
    # runs the register -> sign in flow without a mail) and open registration.
    Variant(
        "odd-but-valid",
        {
            "project_name": 'Zoë\'s "Über" App {2}',
            "project_slug": "z2",
            "description": "Quotes ' \" and a back\\slash: survive TOML, JSON and Markdown",
            "author_name": "O'Brien \\ Ünal",
            "author_email": "o.brien+dev@example.co.uk",
            "backend_port": "1024",
            "frontend_port": "65535",
            "access_token_minutes": "5",
            "refresh_token_days": "30",
            "jwt_issuer": "https://auth.example.org/",
            "jwt_audience": "urn:example:web",
            "email_verification": "off",
        },
    ),
]


def variant_params() -> list[object]:
    """VARIANTS as pytest params that keep each variant's tests on one xdist worker."""
    return [
        pytest.param(variant, id=variant.id, marks=pytest.mark.xdist_group(variant.id))
        for variant in VARIANTS
    ]


def env_secret(path: Path) -> str:
    """The BETTER_AUTH_SECRET value of an env file ('' when absent)."""
    match = SECRET_LINE.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match else ""


def env_previous(path: Path) -> str:
    """The BETTER_AUTH_SECRET_PREVIOUS value of an env file ('' when absent)."""
    match = PREVIOUS_LINE.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match else ""


def project_files(root: Path) -> list[Path]:
    """Every file of a baked project, without installs, build output or git's own files."""
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        found += [Path(directory, name) for name in files]
    return found


def is_raw_copied(path: Path) -> bool:
    """Whether cookiecutter copies this file without rendering it."""
    return path.suffix in RAW_SUFFIXES or (
        (path.name in RAW_NAMES or path.name.startswith("tsconfig")) and "frontend" in path.parts
    )


def missing_tool(message: str) -> NoReturn:
    """Stop a test that cannot run here: a skip that says why, a failure under CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing tool is a failure)")
    pytest.skip(message)


def require_tool(name: str) -> str:
    """Path of tool `name` on PATH, or `missing_tool`."""
    found = shutil.which(name)
    if found is None:
        missing_tool(f"{name} is not installed; this test needs it")
    return found


def cookiecutter_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the cookiecutter command line as a user would, capturing what it prints."""
    return subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def write_cookiecutter_config(home: Path) -> Path:
    """A cookiecutter config keeping replay files and clones inside `home`, not in ~."""
    (home / "replay").mkdir(parents=True, exist_ok=True)
    (home / "clones").mkdir(exist_ok=True)
    config = home / "config.yaml"
    config.write_text(f"cookiecutters_dir: {home / 'clones'}\nreplay_dir: {home / 'replay'}\n")
    return config


def bake_with_cli(tmp_path: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """`cookiecutter <this template> --no-input -o tmp_path/out ANSWERS...`, kept out of ~."""
    config = write_cookiecutter_config(tmp_path / "home")
    output = tmp_path / "out"
    output.mkdir(exist_ok=True)
    return cookiecutter_cli(
        str(REPO), "--no-input", "--config-file", str(config), "-o", str(output), *answers
    )


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def processes_under(directory: Path) -> list[str]:
    """Processes whose working directory or command line lies inside `directory`, as
    `pid: command line (in cwd)`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(directory)) or str(directory) in cmdline:
            found.append(f"{entry.name}: {cmdline.strip()} (in {cwd})")
    return found


def nothing_listens_on(port: int) -> bool:
    """No server accepts on `port`, over IPv4 or IPv6 loopback (TIME_WAIT sockets do not count)."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as probe:
            probe.settimeout(1)
            try:
                if probe.connect_ex((host, port)) == 0:
                    return False
            except OSError:
                continue
    return True
