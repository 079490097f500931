"""The dictionary dispatch for fixed paths answers exactly as FastAPI's router alone would.

Two apps from the same settings, one with the dispatch (as built) and one with it taken out, get
the same requests; every answer must be the same: path parameters, a fixed path shadowed by an
earlier parametrised route, 405s, HEAD, slash redirects, 404s, included routers, a route added to
an included router after the first requests, and a route moved to the front of the list.
"""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Host, Match, Route, Router
from starlette.types import Scope

from app import static_dispatch
from app.settings import Settings

from .conftest import Account, AppFactory, bearer

# Headers that differ between any two answers whatever served them.
VOLATILE_HEADERS = {"x-request-id", "date"}


async def plain(_request: Request) -> Response:
    return PlainTextResponse("plain")


def add_probe_routes(app: FastAPI) -> APIRouter:
    """Routes of every kind a user might add after the app's own; returns the included router."""

    @app.get("/things/{name}")
    async def thing(name: str) -> dict[str, str]:
        return {"served_by": "thing", "name": name}

    @app.get("/things/special")
    async def special() -> dict[str, str]:
        return {"served_by": "special (never: /things/{name} comes first)"}

    @app.post("/submit")
    async def submit() -> dict[str, str]:
        return {"served_by": "submit"}

    @app.get("/link")
    async def link(request: Request) -> dict[str, str]:
        return {"url": str(request.url_for("thing", name="x"))}

    app.add_route("/plain", plain, methods=["GET"])
    extra = APIRouter(prefix="/extra")

    @extra.get("/one")
    async def one() -> dict[str, str]:
        return {"served_by": "one"}

    app.include_router(extra)

    @app.get("/extra/one")
    async def shadowed() -> dict[str, str]:
        return {"served_by": "shadowed (until it is moved first)"}

    @app.get("/extra/two")
    async def until_included() -> dict[str, str]:
        return {"served_by": "top level (until the included router gets its own)"}

    return extra


def add_to_included_router(extra: APIRouter) -> None:
    async def two() -> dict[str, str]:
        return {"served_by": "two"}

    extra.add_api_route("/two", two, methods=["GET"])


def move_first(app: FastAPI, name: str) -> None:
    """An edit of the list itself, which FastAPI's own change count does not see."""
    routes = app.router.routes
    index = next(i for i, route in enumerate(routes) if getattr(route, "name", None) == name)
    routes.insert(0, routes.pop(index))


REQUESTS = [
    ("GET", "/things/special"),
    ("GET", "/things/other"),
    ("GET", "/submit"),
    ("POST", "/submit"),
    ("PUT", "/submit"),
    ("GET", "/plain"),
    ("HEAD", "/plain"),
    ("POST", "/plain"),
    ("GET", "/users/me"),
    ("HEAD", "/users/me"),
    ("POST", "/users/me"),
    ("GET", "/users/me/"),
    ("GET", "/submit/"),
    ("GET", "/health"),
    ("POST", "/health"),
    ("GET", "/nowhere"),
    ("GET", "/extra/one"),
    ("GET", "/extra/two"),
    ("GET", "/link"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
]


def answer(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> tuple[object, ...]:
    response = client.request(method, path, headers=headers, follow_redirects=False)
    kept = sorted((k, v) for k, v in response.headers.items() if k not in VOLATILE_HEADERS)
    return response.status_code, response.content, kept


@pytest.fixture
def twins(make_app: AppFactory, settings: Settings) -> tuple[FastAPI, FastAPI]:
    dispatched, routed = make_app(settings), make_app(settings)
    routed.router.middleware_stack = routed.router.app
    assert isinstance(dispatched.router.middleware_stack, static_dispatch.StaticPathDispatch)
    return dispatched, routed


def test_dispatch_answers_as_the_router_does(
    twins: tuple[FastAPI, FastAPI], account: Account
) -> None:
    dispatched, _ = twins
    routers = [add_probe_routes(app) for app in twins]
    token = dispatched.state.services.tokens.issue(account.id)
    clients = [TestClient(app, base_url="http://localhost:8000") for app in twins]

    def compare(headers: dict[str, str]) -> list[int]:
        statuses = []
        for method, path in REQUESTS:
            served, expected = (answer(client, method, path, headers) for client in clients)
            assert served == expected, (method, path)
            statuses.append(int(expected[0]))
        return statuses

    with_token = compare(bearer(token))
    # The table reaches every branch: 200s, the shadowed path, 405, redirect, 404.
    assert {200, 307, 404, 405} <= set(with_token)
    assert 401 in compare({})
    served = clients[0]
    before = served.get("/extra/two", headers=bearer(token)).json()
    assert before == {"served_by": "top level (until the included router gets its own)"}
    for extra in routers:
        add_to_included_router(extra)
    compare(bearer(token))
    assert served.get("/extra/two", headers=bearer(token)).json() == {"served_by": "two"}
    assert served.get("/extra/one", headers=bearer(token)).json() == {"served_by": "one"}
    for app in twins:
        move_first(app, "shadowed")
    compare(bearer(token))
    moved = served.get("/extra/one", headers=bearer(token)).json()
    assert moved == {"served_by": "shadowed (until it is moved first)"}


def test_a_host_route_in_front_is_asked_on_every_request(
    twins: tuple[FastAPI, FastAPI], account: Account
) -> None:
    """A Host route matches on the Host header, not the path: the answer for a path can differ
    from one request to the next, so the dispatch must not remember it."""
    for app in twins:
        other_host = Router([Route("/users/me", plain, methods=["GET"])])
        app.router.routes.insert(0, Host("other.example.org", app=other_host))
    token = twins[0].state.services.tokens.issue(account.id)
    clients = [TestClient(app, base_url="http://localhost:8000") for app in twins]
    for host in ("other.example.org", "localhost:8000", "other.example.org", "localhost:8000"):
        headers = {**bearer(token), "Host": host}
        served, expected = (answer(client, "GET", "/users/me", headers) for client in clients)
        assert served == expected, host
    assert clients[0].get("/users/me", headers=bearer(token)).json()["id"] == account.id
    other = clients[0].get("/users/me", headers={**bearer(token), "Host": "other.example.org"})
    assert other.text == "plain"


def test_a_route_added_last_skips_the_scan_of_the_earlier_ones(
    app: FastAPI, client: TestClient, account: Account
) -> None:
    """What the dispatch is for: the app's own routes are not tried before a user's new one."""
    first = app.router.routes[0]
    tried: list[str] = []
    matches = first.matches

    def counted(scope: Scope) -> tuple[Match, Scope]:
        tried.append(scope["path"])
        return matches(scope)

    first.matches = counted  # type: ignore[method-assign]
    app.add_api_route("/reports", lambda: {"reports": []}, methods=["GET"])
    token = app.state.services.tokens.issue(account.id)
    assert client.get("/reports", headers=bearer(token)).json() == {"reports": []}
    assert tried == []
    # A path that is not a route's goes to the router, which tries them all (and redirects).
    redirect = client.get("/reports/", headers=bearer(token), follow_redirects=False)
    assert redirect.status_code == 307
    assert "/reports/" in tried


def test_install_refuses_a_router_with_its_own_middleware() -> None:
    router = APIRouter()
    router.middleware_stack = PlainTextResponse("in the way")
    with pytest.raises(RuntimeError, match="own middleware"):
        static_dispatch.install(router)
