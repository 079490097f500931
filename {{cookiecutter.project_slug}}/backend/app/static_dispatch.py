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


class StaticPathDispatch:
    """The router's entry point: a dictionary lookup for fixed paths, the router for the rest.

    The index maps each fixed path to the routes that could match it, in the router's order.
    It is rebuilt whenever the routes change (FastAPI counts changes, including routes added to
    an included router later; a direct edit of `router.routes` is caught by comparing the list).
    """

    def __init__(self, router: APIRouter) -> None:
        self._router = router
        self._version = -1
        self._routes: list[BaseRoute] = []
        self._candidates: dict[str, tuple[BaseRoute, ...]] = {}
        # A copy of the router that knows one route only, for each candidate: given a request
        # that route fully matches, it does exactly what the whole router does once it gets there.
        self._alone: dict[int, APIRouter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._refresh()
            for route in self._candidates.get(get_route_path(scope), ()):
                if route.matches(scope)[0] is Match.FULL:
                    # Request.url_for must see every route, not the copy's one.
                    scope.setdefault("router", self._router)
                    await self._alone[id(route)].app(scope, receive, send)
                    return
        await self._router.app(scope, receive, send)

    def _refresh(self) -> None:
        routes = self._router.routes
        version = self._router._get_routes_version()
        if (
            version == self._version
            and len(routes) == len(self._routes)
            and all(map(operator.is_, routes, self._routes))
        ):
            return
        self._index(routes)
        self._version = version

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
