"""`make client`: the committed typed client matches the backend's API; a change to the API, or
a hand edit of the client, fails the check, naming the stale files, until `make client` runs.

These run the real schema export and the real generator, so they need the frontend's packages
(`make install-frontend`) and node: without them they are skipped with the reason, except under
CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, run_script

CLIENT = Path("frontend", "src", "client")
GENERATOR = PROJECT_DIR / "frontend" / "node_modules" / ".bin" / "openapi-ts"
# A field of `GET /users/me`'s answer: the schema change the stale test makes next to it.
ME_FIELD = "    email_verified: bool\n"


@pytest.fixture(autouse=True)
def generator() -> None:
    """Stop here, saying why, when the generator cannot run."""
    reason = None
    if shutil.which("node") is None:
        reason = "node is not installed; the client generator needs it"
    elif not GENERATOR.exists():
        reason = "frontend/node_modules has no openapi-ts; run 'make install-frontend'"
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing tool is a failure)")
    pytest.skip(reason)


@pytest.fixture
def api_copy(tmp_path: Path) -> Path:
    """What `make client` reads and writes, copied so a test may change it: the backend's code
    and `.env.example`, the scripts, the generator's settings and the committed client (the
    installed packages are linked, not copied)."""
    copy = tmp_path / "project"
    caches = shutil.ignore_patterns("__pycache__")
    for directory in ("scripts", "backend/app", CLIENT.as_posix()):
        shutil.copytree(PROJECT_DIR / directory, copy / directory, ignore=caches)
    for name in ("backend/.env.example", "frontend/openapi-ts.config.ts"):
        shutil.copy(PROJECT_DIR / name, copy / name)
    (copy / "frontend" / "node_modules").symlink_to(PROJECT_DIR / "frontend" / "node_modules")
    return copy


def client_files(project: Path) -> dict[str, bytes]:
    root = project / CLIENT
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*.ts")}


def test_the_committed_client_matches_the_api() -> None:
    run = run_script(PROJECT_DIR, "api_client.py", "--check")

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "frontend/src/client: current"


def test_a_changed_schema_or_an_edited_client_fails_the_check_until_make_client(
    api_copy: Path,
) -> None:
    schemas = api_copy / "backend" / "app" / "schemas.py"
    assert ME_FIELD in schemas.read_text()
    schemas.write_text(schemas.read_text().replace(ME_FIELD, ME_FIELD + "    nickname: str\n"))
    sdk = api_copy / CLIENT / "sdk.gen.ts"
    sdk.write_text(sdk.read_text() + "// edited by hand\n")
    before = client_files(api_copy)

    stale = run_script(api_copy, "api_client.py", "--check")

    assert stale.returncode == 1
    assert "(sdk.gen.ts, types.gen.ts would change)" in stale.stderr
    assert "run 'make client'" in stale.stderr
    assert client_files(api_copy) == before, "--check must change nothing"

    regenerated = run_script(api_copy, "api_client.py")

    assert regenerated.returncode == 0, regenerated.stderr
    assert regenerated.stdout.strip().endswith("regenerated: sdk.gen.ts, types.gen.ts")
    assert "nickname: string;" in (api_copy / CLIENT / "types.gen.ts").read_text()
    assert "edited by hand" not in sdk.read_text()
    assert run_script(api_copy, "api_client.py", "--check").returncode == 0
