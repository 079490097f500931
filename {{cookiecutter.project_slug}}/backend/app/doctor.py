"""Diagnose a project's secrets, and explain in plain words why a token would be rejected.

`python -m app.doctor` checks that backend/.env and frontend/.env (when there is a frontend)
exist, hold the same usable secret and are readable by their owner only, validates every
backend setting, reports where a secret rotation stands and says whether the SMTP server answers.
With BACKEND_ENV_FILE naming another file (backend/.env.production), it checks that one instead:
private, a random secret that is not the development one, usable settings.
`python -m app.doctor --token TOKEN` (or `--token -` to read it from stdin, keeping it out of
shell history) verifies a token exactly as the running backend would. Secrets are compared,
never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import stat
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from dotenv import dotenv_values

from app.mail.smtp import DeliveryFailed, SmtpTransport
from app.secret_policy import secret_problem
from app.settings import (
    BACKEND_DIR,
    ENV_FILE_VARIABLE,
    UNTIL_FORMAT,
    Settings,
    SettingsError,
    chosen_env_file,
    env_file_label,
    load_settings,
)
from app.tokens import AccessTokens, InvalidToken

# The names of the keys, not their values.
SECRET = "BETTER_AUTH_SECRET"  # noqa: S105
PREVIOUS = "BETTER_AUTH_SECRET_PREVIOUS"
PREVIOUS_UNTIL = "BETTER_AUTH_SECRET_PREVIOUS_UNTIL"
FROM_STDIN = "-"
# The doctor asks the SMTP server for a sign of life, not a delivery: a short wait is enough.
SMTP_PROBE_TIMEOUT_SECONDS = 3


def _file_findings(path: Path, label: str) -> tuple[list[str], dict[str, str | None]]:
    if not path.exists():
        return [f"{label} is missing: run 'make env' to create it"], {}
    problems = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        problems.append(
            f"{label} has mode {mode:04o}, so other users can read the secret: "
            f"run 'chmod 600 {label}'"
        )
    values = dotenv_values(path)
    problem = secret_problem(f"{SECRET} in {label}", values.get(SECRET) or "")
    if problem:
        problems.append(problem)
    return problems, values


def rotation_state(settings: Settings, now: float) -> tuple[str | None, str | None]:
    """Where a rotation stands: (a note, a problem), each None when there is nothing to say."""
    until = settings.better_auth_secret_previous_until
    if until is None:
        return None, None
    shown = until.astimezone(UTC).strftime(UNTIL_FORMAT)
    if settings.better_auth_secret_previous is None:
        return None, (
            f"{PREVIOUS_UNTIL} is set but {PREVIOUS} is empty: remove {PREVIOUS_UNTIL} "
            "from both .env files"
        )
    if now < until.timestamp():
        return f"{PREVIOUS} is accepted for verification until {shown}", None
    return None, (
        f"{PREVIOUS} expired at {shown} and no longer verifies anything: remove it and "
        f"{PREVIOUS_UNTIL} from both .env files"
    )


@dataclass
class Findings:
    """Problems, each a sentence with its fix, and notes: facts that are not problems."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_project(project_dir: Path, env_file: Path | None = None) -> Findings:
    """Everything wrong with the project's `.env` files and settings, and a rotation's state.

    `env_file`, when it is another file than backend/.env (the production one), is checked on
    its own instead: it shares no secret with the frontend and must not share the development one.
    """
    backend_env = project_dir / "backend" / ".env"
    if env_file is not None and env_file.resolve() != backend_env.resolve():
        return _check_own_file(env_file, backend_env)
    problems, backend = _file_findings(backend_env, "backend/.env")
    if (project_dir / "frontend").is_dir():
        frontend_problems, frontend = _file_findings(
            project_dir / "frontend" / ".env", "frontend/.env"
        )
        problems += frontend_problems
        for key in (SECRET, PREVIOUS, PREVIOUS_UNTIL):
            mine, theirs = backend.get(key) or "", frontend.get(key) or ""
            if backend and frontend and not hmac.compare_digest(mine.encode(), theirs.encode()):
                problems.append(
                    f"{key} differs between backend/.env and frontend/.env: run 'make env' "
                    "(or 'make rotate-secret' during a rotation) to write both together"
                )
    return _with_settings(backend_env, problems)


def _with_settings(env_file: Path, problems: list[str]) -> Findings:
    """`problems` plus what loading the settings from `env_file` finds, and a rotation's state."""
    if not env_file.exists():
        return Findings(problems)
    try:
        settings = load_settings(_env_file=env_file)
    except SettingsError as error:
        problems += [line for line in str(error).splitlines() if line not in problems]
        return Findings(problems)
    note, problem = rotation_state(settings, time.time())
    problems += [problem] if problem else []
    return Findings(problems, [note] if note else [])


def _check_own_file(env_file: Path, development_env: Path) -> Findings:
    """A production env file: private, a random secret of its own, usable settings."""
    label = env_file_label(env_file)
    problems, values = _file_findings(env_file, label)
    development = dotenv_values(development_env) if development_env.exists() else {}
    mine, theirs = values.get(SECRET) or "", development.get(SECRET) or ""
    if mine and theirs and hmac.compare_digest(mine.encode(), theirs.encode()):
        problems.append(
            f"{SECRET} in {label} is the development secret from backend/.env: run 'make env', "
            f"which gives {label} a secret of its own"
        )
    return _with_settings(env_file, problems)


def explain_token(token: str, env_file: Path) -> tuple[bool, str]:
    """Whether the backend configured by `env_file` would accept `token`, and why in words."""
    tokens = AccessTokens(load_settings(_env_file=env_file))
    try:
        claims = tokens.verify(token)
    except InvalidToken as error:
        return False, f"Rejected: the token {error.reason}."
    minutes = max(0, round((claims.expires_at - time.time()) / 60))
    return True, (
        f"Accepted: a valid access token for user {claims.subject}, expiring in about "
        f"{minutes} min."
    )


# --- Mail: does the SMTP server answer? ---------------------------------------------------------
def smtp_report(settings: Settings) -> str:
    """One line on the SMTP server: it answers, or why not. Names host:port, never a password.

    A warning, not a problem: mail waits in the outbox until the server answers.
    """
    transport = SmtpTransport(settings.smtp, timeout=SMTP_PROBE_TIMEOUT_SECONDS)
    try:
        asyncio.run(transport.probe())
    except DeliveryFailed as failure:
        return (
            f"warning: the SMTP server at {transport.address} cannot take mail ({failure.reason}); "
            "mail waits in the outbox until it can. Check SMTP_URL, or run 'make dev', which "
            "starts a local catcher"
        )
    return f"ok: the SMTP server at {transport.address} answers"


def _smtp_line(env_file: Path) -> str | None:
    if not env_file.exists():
        return None
    try:
        return smtp_report(load_settings(_env_file=env_file))
    except SettingsError:
        return None  # already reported as a problem, with its fix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, default=BACKEND_DIR.parent, help="the project's root directory"
    )
    parser.add_argument("--token", help="an access token to explain; '-' reads it from stdin")
    args = parser.parse_args(argv)
    development_env = args.project / "backend" / ".env"
    # $BACKEND_ENV_FILE (the production file) is what the servers read, so it is what to check.
    env_file = (
        chosen_env_file() if os.environ.get(ENV_FILE_VARIABLE, "").strip() else development_env
    )
    if args.token is not None:
        token = sys.stdin.readline() if args.token == FROM_STDIN else args.token
        token = token.strip()
        try:
            accepted, explanation = explain_token(token, env_file)
        except SettingsError as error:
            print(f"Cannot check tokens: the backend's settings are unusable:\n{error}")
            return 1
        print(explanation)
        return 0 if accepted else 1
    findings = check_project(args.project, env_file)
    for problem in findings.problems:
        print(f"problem: {problem}")
    if not findings.problems and env_file != development_env:
        print(
            f"ok: {env_file_label(env_file)} exists, holds a random secret of its own and is "
            "readable by its owner only"
        )
    elif not findings.problems:
        print(
            "ok: .env files exist, match, hold a random secret and are readable by their owner only"
        )
    for note in findings.notes:
        print(f"rotation: {note}")
    smtp_line = _smtp_line(env_file)
    if smtp_line is not None:
        print(smtp_line)
    return 1 if findings.problems else 0


if __name__ == "__main__":
    sys.exit(main())
