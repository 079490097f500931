"""Read, merge and atomically write the project's `.env` files without losing a user's edits.

Standard library only: the cookiecutter hook runs this with whatever Python baked the project,
before any virtualenv exists. Whether a secret is usable is decided by the backend's own rule,
`backend/app/secret_policy.py` (standard library only too), loaded here by its path.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

SECRET_KEY = "BETTER_AUTH_SECRET"  # noqa: S105 -- the variable name, not a secret
PREVIOUS_SECRET_KEY = "BETTER_AUTH_SECRET_PREVIOUS"  # noqa: S105
PREVIOUS_UNTIL_KEY = "BETTER_AUTH_SECRET_PREVIOUS_UNTIL"
SECRET_ENTROPY_BYTES = 48
ENV_FILE_MODE = 0o600
SECRET_POLICY = Path(__file__).resolve().parent.parent / "backend" / "app" / "secret_policy.py"

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class EnvFileError(Exception):
    """A `.env` file that cannot be read or written safely; the message says which and why."""


@dataclass(frozen=True)
class EnvPair:
    """The `.env` file the app reads and the committed `.env.example` it is built from."""

    env: Path
    example: Path


def new_secret() -> str:
    """A fresh URL-safe secret carrying 48 bytes (384 bits) of entropy."""
    return secrets.token_urlsafe(SECRET_ENTROPY_BYTES)


@cache
def _secret_policy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("secret_policy", SECRET_POLICY)
    if spec is None or spec.loader is None or not SECRET_POLICY.exists():
        raise EnvFileError(f"{SECRET_POLICY}: missing; restore it from git before running this")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: its dataclasses look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def secret_problem(name: str, value: str | None) -> str | None:
    """Why `value` cannot be the secret called `name`, as a sentence with the fix; None if it can.

    The backend's settings and the frontend build apply the very same rule.
    """
    problem: str | None = _secret_policy().secret_problem(name, value)
    return problem


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def parse(text: str) -> dict[str, str]:
    """The KEY=value assignments of an env file; comments and blank lines are ignored."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match:
            values[match.group(1)] = _unquote(match.group(2))
    return values


def read(path: Path) -> dict[str, str]:
    """Assignments of the file at `path`, or an empty mapping when it does not exist."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise EnvFileError(f"{path}: cannot be read ({error}); fix or delete it") from error


def merge(current: str, example: str, overrides: dict[str, str]) -> str:
    """The text of a `.env` built from `current`, completed from `example`, with `overrides` set.

    Lines the user wrote are kept verbatim unless their key is overridden; keys the example has
    and the file lacks are appended with the example's value; a missing file starts as the
    example itself so its comments explain each setting.
    """
    base = current if current.strip() else example
    present: set[str] = set()
    lines: list[str] = []
    for line in base.splitlines():
        match = _ASSIGNMENT.match(line) if not line.lstrip().startswith("#") else None
        if match and match.group(1) in overrides:
            key = match.group(1)
            lines.append(f"{key}={overrides[key]}")
            present.add(key)
            continue
        if match:
            present.add(match.group(1))
        lines.append(line)
    missing_from_example = [
        line
        for line in example.splitlines()
        if (m := _ASSIGNMENT.match(line))
        and not line.lstrip().startswith("#")
        and m.group(1) not in present
        and m.group(1) not in overrides
    ]
    lines.extend(missing_from_example)
    lines.extend(f"{key}={value}" for key, value in overrides.items() if key not in present)
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically; the file is never readable by others, even briefly."""
    descriptor, temporary = tempfile.mkstemp(prefix=".env.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(descriptor, ENV_FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def project_pairs(project_dir: Path) -> list[EnvPair]:
    """The env file pairs of this project: backend always, frontend when it was baked."""
    pairs = [EnvPair(project_dir / "backend" / ".env", project_dir / "backend" / ".env.example")]
    frontend = project_dir / "frontend"
    if (frontend / ".env.example").exists():
        pairs.append(EnvPair(frontend / ".env", frontend / ".env.example"))
    for pair in pairs:
        if not pair.example.exists():
            raise EnvFileError(f"{pair.example}: missing; restore it from git before running this")
    return pairs


def write_all(pairs: list[EnvPair], overrides: dict[str, str]) -> None:
    """Merge `overrides` into every pair's `.env`; all texts are built before any file changes."""
    texts = []
    for pair in pairs:
        current = pair.env.read_text(encoding="utf-8") if pair.env.exists() else ""
        example = pair.example.read_text(encoding="utf-8")
        texts.append((pair.env, merge(current, example, overrides)))
    for path, text in texts:
        write_private(path, text)
