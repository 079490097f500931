"""Dictionary dispatch for fixed paths, in front of FastAPI's router.

FastAPI tries routes in order, so a route added after the app's own pays for matching each of
them on every request. For a path without parameters (`/users/me`), this looks up the few routes
that could match it and hands the first full match to the router, which handles it exactly as
its own scan would have. Everything else (path parameters, 405s, slash redirects, 404s, the
frontend fallback) goes to the router itself, so FastAPI's behaviour is unchanged.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Sequence

from fastapi.routing import APIRouter, iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

USUAL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ROUTES_VERSION = operator.attrgetter("_routes_version")


def _path_patterns(route: BaseRoute) -> list[re.Pattern[str]] | None:
    """The regexes of the paths `route` can match (an included router has several); None when
    one of them matches on something other than the path (a Host route), so it can never be
    ruled out by path alone."""
    patterns = []
    for context in iter_route_contexts([route]):
        regex = getattr(context, "path_regex", None)
        if regex is None:
            return None
        patterns.append(regex)
    return patterns


def _routers(router: APIRouter, seen: frozenset[int] = frozenset()) -> list[APIRouter]:
    """`router` and every router included in it, however deep (a router that includes itself
    is not followed round the loop)."""
    found = [router]
    for route in router.routes:
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter) and id(included) not in seen | {id(router)}:
            found += _routers(included, seen | {id(router)})
    return found


class StaticPathDispatch:
    """The router's entry point: a dictionary lookup for fixed paths, the router for the rest.

    The index maps each fixed path to the routes that could match it, in the router's order.
    It is rebuilt whenever the routes change: FastAPI counts changes per router, including
    routes added to an included router later; a direct edit of `router.routes` is caught by
    comparing the list.
    """

    def __init__(self, router: APIRouter) -> None:
        self._router = router
        # This router and the ones included in it: FastAPI counts route changes per router, and
        # the counts only grow, so their sum changes whenever any of them does.
        self._routers: list[APIRouter] = []
        self._version = -1
        self._routes: list[BaseRoute] = []
        self._candidates: dict[str, tuple[BaseRoute, ...]] = {}
        # Paths whose candidates all match by path and method alone (no Host route), so the
        # route that fully matches a (path, method) is known after the first such request.
        self._by_path_only: set[str] = set()
        self._decided: dict[tuple[str, str], APIRouter] = {}
        # A copy of the router that knows one route only, for each candidate: given a request
        # that route fully matches, it does exactly what the whole router does once it gets there.
        self._alone: dict[int, APIRouter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._refresh()
            path = get_route_path(scope)
            alone = self._decided.get((path, scope["method"]))
            if alone is None:
                alone = self._full_match(scope, path)
            if alone is not None:
                # Request.url_for must see every route, not the copy's one.
                scope.setdefault("router", self._router)
                await alone.app(scope, receive, send)
                return
        await self._router.app(scope, receive, send)

    def _full_match(self, scope: Scope, path: str) -> APIRouter | None:
        """The one-route router for the first candidate that fully matches, if any."""
        for route in self._candidates.get(path, ()):
            if route.matches(scope)[0] is Match.FULL:
                alone = self._alone[id(route)]
                # Only the usual methods are remembered: the method is the client's to choose,
                # and a route without a method list matches any.
                if path in self._by_path_only and scope["method"] in USUAL_METHODS:
                    self._decided[path, scope["method"]] = alone
                return alone
        return None

    def _refresh(self) -> None:
        routes = self._router.routes
        version = sum(map(ROUTES_VERSION, self._routers))
        if (
            version == self._version
            and len(routes) == len(self._routes)
            and all(map(operator.is_, routes, self._routes))
        ):
            return
        self._routers = _routers(self._router)
        self._index(routes)
        self._version = sum(map(ROUTES_VERSION, self._routers))

    def _index(self, routes: Sequence[BaseRoute]) -> None:
        patterns = [_path_patterns(route) for route in routes]
        fixed_paths = {
            context.path_format
            for context in iter_route_contexts(routes)
            if isinstance(context.path_format, str)
            and getattr(context, "path_regex", None) is not None
            and not getattr(context, "param_convertors", None)
        }
        self._candidates = {
            path: tuple(
                route
                for route, route_patterns in zip(routes, patterns, strict=True)
                if route_patterns is None or any(p.match(path) for p in route_patterns)
            )
            for path in fixed_paths
        }
        unknown = {
            id(route) for route, found in zip(routes, patterns, strict=True) if found is None
        }
        self._by_path_only = {
            path
            for path, candidates in self._candidates.items()
            if not any(id(route) in unknown for route in candidates)
        }
        self._decided = {}
        self._alone = {}
        for route in routes:
            alone = copy.copy(self._router)
            alone.routes = [route]
            self._alone[id(route)] = alone
        self._routes = list(routes)


def install(router: APIRouter) -> None:
    """Put the dispatch in front of `router`, below the app's error handling.

    Refuses a router with router-level middleware: the dispatch would bypass it.
    """
    if router.middleware_stack != router.app:
        raise RuntimeError("this router has its own middleware; the static dispatch would skip it")
    router.middleware_stack = StaticPathDispatch(router)
