"""Every bake commits the typed API client of its own routes, and that client is current.

Two answers switch routes on and off, so the template keeps one generated client per
combination and the post-generation hook keeps the bake's own. For each combination, the bake's
own check (`scripts/api_client.py --check`: export the schema, run the pinned generator, compare)
must pass, and nothing of the other combinations may be left behind. The bakes share the
matrix's backend virtualenv and npm cache, and one `npm ci` linked into each of them, so a
combination costs one schema export and one generator run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Bake
from tests.support import (
    BACKEND_VENV,
    NPM_CACHE,
    REPO,
    Variant,
    require_tool,
    variant_params,
)
from tests.test_baked_suites import install_backend_exclusively

TEMPLATE_FRONTEND = REPO / "{{cookiecutter.project_slug}}" / "frontend"
GROUP = pytest.mark.xdist_group("api-client")
FRONTEND_ONLY = ("scripts/api_client.py", "scripts/tests/test_api_client.py")


def route_params() -> list[object]:
    """A bake per combination of the answers that decide the routes, all on one worker."""
    return [
        pytest.param(
            Variant(
                f"routes-{registration}-{verification}",
                {"allow_registration": registration, "email_verification": verification},
            ),
            id=f"registration-{registration}-verification-{verification}",
            marks=GROUP,
        )
        for registration in ("yes", "no")
        for verification in ("required", "off")
    ]


@pytest.fixture(scope="session")
def frontend_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frontend's locked packages, installed once (every bake's package-lock.json is the
    template's, copied as it is)."""
    npm = require_tool("npm")
    require_tool("node")
    root = tmp_path_factory.mktemp("frontend-packages")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(TEMPLATE_FRONTEND / name, root / name)
    run = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=root,
        env={**os.environ, "npm_config_cache": str(NPM_CACHE)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return root / "node_modules"


@pytest.mark.parametrize("variant", route_params())
def test_each_bake_commits_the_current_client_of_its_routes(
    variant: Variant, bake: Callable[[Variant], Bake], frontend_packages: Path
) -> None:
    baked = bake(variant)
    assert baked.exit_code == 0, baked.exception
    frontend = baked.project / "frontend"
    assert not (frontend / "api-client-variants").exists(), "the hook left other clients behind"
    install_backend_exclusively(baked.project)
    (frontend / "node_modules").symlink_to(frontend_packages, target_is_directory=True)

    run = subprocess.run(
        [str(BACKEND_VENV / "bin" / "python"), "scripts/api_client.py", "--check"],
        cwd=baked.project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, (
        f"{run.stderr}\nThis combination's client in the template is stale: run 'make client' "
        "at the template's root to regenerate every combination's."
    )


@pytest.mark.parametrize("variant", variant_params())
def test_client_tools_are_present_exactly_with_a_frontend(
    variant: Variant, bake: Callable[[Variant], Bake]
) -> None:
    baked = bake(variant)
    assert baked.exit_code == 0, baked.exception
    for relative in FRONTEND_ONLY:
        assert (baked.project / relative).exists() == variant.has_frontend, relative
    assert (baked.project / "backend" / "app" / "openapi.py").exists()
