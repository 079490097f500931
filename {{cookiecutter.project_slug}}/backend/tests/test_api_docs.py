"""/docs loads Swagger UI from this backend only, through the public list's exact paths, and
exists only while docs are enabled."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.api_docs import ASSETS_URL, DOCS_PATHS

from .conftest import AppFactory, SettingsFactory

# Every URL the page names: src/href attributes and the strings its inline script passes on.
REFERENCE = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)|(?:url|oauth2RedirectUrl)\s*:\s*'([^']+)'"""
)


def referenced_urls(html: str) -> list[str]:
    return [first or second for first, second in REFERENCE.findall(html)]


def test_docs_page_names_only_this_server(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = referenced_urls(page.text)
    assert f"{ASSETS_URL}/swagger-ui-bundle.js" in urls
    assert f"{ASSETS_URL}/swagger-ui.css" in urls
    assert [url for url in urls if not url.startswith("/") or url.startswith("//")] == []
    assert "cdn" not in page.text.lower()
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.content, url


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (f"{ASSETS_URL}/swagger-ui-bundle.js", "text/javascript"),
        (f"{ASSETS_URL}/swagger-ui.css", "text/css"),
        (f"{ASSETS_URL}/favicon.png", "image/png"),
    ],
)
def test_assets_are_served_without_a_token_as_what_they_are(
    client: TestClient, path: str, kind: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(kind)
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_only_the_listed_asset_paths_are_public(client: TestClient) -> None:
    for path in (f"{ASSETS_URL}/redoc.standalone.js", f"{ASSETS_URL}/", f"{ASSETS_URL}/../main.py"):
        assert client.get(path).status_code == 401, path


def test_production_serves_no_docs_at_all(
    make_app: AppFactory, make_settings: SettingsFactory
) -> None:
    settings = make_settings(
        environment="production",
        cors_origins=("https://app.example.org",),
        argon2_memory_kib=19456,
        argon2_time_cost=2,
    )
    client = TestClient(make_app(settings), base_url="https://api.example.org")
    for path in sorted(DOCS_PATHS):
        assert client.get(path).status_code == 401, path
