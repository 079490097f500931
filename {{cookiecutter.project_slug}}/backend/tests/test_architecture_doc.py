"""docs/architecture.md's "Adding a route" works as written: its router module, included and
with the path it lists made public, serves the public route to anyone and the protected one only
with a valid token."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from app import main
from app.settings import BACKEND_DIR, Settings

from .conftest import Account, AppFactory, bearer, new_account, token_pair

PAGE = BACKEND_DIR.parent / "docs" / "architecture.md"
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
MODULE_NAME = "app.routers.notes"


def code_blocks() -> list[str]:
    return CODE_BLOCK.findall(PAGE.read_text(encoding="utf-8"))


@pytest.fixture
def documented_router(tmp_path: Path) -> Iterator[ModuleType]:
    """The router module exactly as the page writes it, imported under the name it gives."""
    (source,) = [block for block in code_blocks() if block.startswith("# backend/app/routers/")]
    path = tmp_path / "notes.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[MODULE_NAME]


def documented_public_paths() -> set[str]:
    """The paths the page's main.py snippet adds to PUBLIC_PATHS."""
    (snippet,) = [block for block in code_blocks() if block.startswith("PUBLIC_PATHS")]
    listed = re.search(r"PUBLIC_PATHS = frozenset\(\{\.\.\., (.*)\}\)", snippet)
    assert listed, "the page shows no PUBLIC_PATHS line"
    return set(re.findall(r'"([^"]+)"', listed.group(1)))


def test_the_documented_routes_behave_as_the_page_says(
    documented_router: ModuleType,
    make_app: AppFactory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert documented_public_paths() == {"/notes/motd"}
    monkeypatch.setattr(main, "PUBLIC_PATHS", main.PUBLIC_PATHS | documented_public_paths())
    app = make_app(settings)
    router = documented_router.router
    assert isinstance(router, APIRouter)
    app.include_router(router)
    client = TestClient(app, base_url="http://localhost:8000")
    account: Account = new_account(app)

    assert client.get("/notes/motd").json() == {"message": "Welcome!"}
    refused = client.get("/notes/mine")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Not authenticated"}
    token = token_pair(client, account)["access_token"]
    mine = client.get("/notes/mine", headers=bearer(token))
    assert (mine.status_code, mine.json()) == (200, {"owner": account.email})
