"""One rule for the secret: the backend's settings and `scripts/` (which loads the backend's
rule by path, with the system Python) refuse exactly the same values with the same sentence.
The frontend's Vite guard is held to the same corpus by its own test (vite-env-guard.test.ts)."""

from __future__ import annotations

import base64
import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from app import secret_policy
from app.settings import BACKEND_DIR, SettingsError, load_settings

from .conftest import EXAMPLE_ENV, FAST_ARGON2

CORPUS = Path(__file__).resolve().with_name("secret_corpus.json")
SCRIPTS_DIR = BACKEND_DIR.parent / "scripts"
NAME = "BETTER_AUTH_SECRET"


def candidates() -> list[str]:
    fixed: list[str] = json.loads(CORPUS.read_text(encoding="utf-8"))["candidates"]
    generated = [
        make()
        for make in (
            lambda: secrets.token_urlsafe(32),
            lambda: secrets.token_urlsafe(48),
            lambda: secrets.token_hex(32),
            lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        )
        for _ in range(25)
    ]
    return fixed + generated


@pytest.fixture(scope="module")
def envfile() -> Iterator[ModuleType]:
    """scripts/envfile.py, imported the way the scripts import it."""
    sys.path.insert(0, str(SCRIPTS_DIR))
    try:
        import envfile as module

        yield module
    finally:
        sys.path.remove(str(SCRIPTS_DIR))


def settings_verdict(candidate: str) -> str | None:
    try:
        load_settings(_env_file=EXAMPLE_ENV, better_auth_secret=candidate, **FAST_ARGON2)
    except SettingsError as error:
        return str(error)
    return None


def test_scripts_and_settings_judge_every_candidate_alike(envfile: ModuleType) -> None:
    verdicts = {True: 0, False: 0}
    for candidate in candidates():
        expected = secret_policy.secret_problem(NAME, candidate)
        assert envfile.secret_problem(NAME, candidate) == expected, ascii(candidate)
        assert settings_verdict(candidate) == expected, ascii(candidate)
        verdicts[expected is None] += 1
    # The corpus exercises both outcomes, so agreement is not agreement on "everything passes".
    assert verdicts[True] >= 100
    assert verdicts[False] >= 25


def test_scripts_load_the_backends_rule_not_a_copy(envfile: ModuleType) -> None:
    assert Path(envfile.SECRET_POLICY).resolve() == Path(secret_policy.__file__).resolve()
