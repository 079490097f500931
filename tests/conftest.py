"""Fixtures of the template's tests: each matrix variant is baked once per session and shared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_cookies.plugin import Cookies

from tests.support import REPO, Variant


@dataclass(frozen=True)
class Bake:
    """A finished bake, with the replay files as they were right after it."""

    variant: Variant
    exit_code: int
    exception: BaseException | None
    project: Path
    replay_texts: dict[str, str]


@pytest.fixture(scope="session")
def bake(cookies_session: Cookies, _cookiecutter_config_file: object) -> Callable[[Variant], Bake]:
    """Bake a variant on first use and hand the same bake to every later test of the session."""
    replay_dir = Path(str(_cookiecutter_config_file)).parent / "cookiecutter_replay"
    done: dict[str, Bake] = {}

    def baked(variant: Variant) -> Bake:
        if variant.id not in done:
            result = cookies_session.bake(extra_context=variant.answers, template=str(REPO))
            done[variant.id] = Bake(
                variant=variant,
                exit_code=result.exit_code,
                exception=result.exception,
                project=Path(str(result.project_path)) if result.exit_code == 0 else Path(),
                replay_texts={p.name: p.read_text() for p in replay_dir.glob("*.json")},
            )
        return done[variant.id]

    return baked
