"""A fast lane for the hottest webhook: past FastAPI's router, straight to its endpoint.

Routing through the included routers, the request handler and dependency
solving took about a quarter of the gateway's CPU (py-spy under load), nearly
as much as a signed SMS webhook's own work. Endpoints that take nothing but the
`Request` need none of it, so this middleware calls them directly for their
exact method and path. They stay declared on their router (the OpenAPI
document, and the same answers: HTTPException goes through FastAPI's own
handler, a use-case error through services/entry/api/errors.py). It sits
inside FastAPI's error middleware and the body limit (body_limit.py), so a
crash is still a logged 500 and the body limit still holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from starlette.types import ASGIApp, Receive, Scope, Send

from services.entry.api.errors import error_response

Endpoint = Callable[[Request], Awaitable[Response]]


class FastLane:
    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            endpoint = self.routes.get((scope["method"], path))
            if endpoint is not None:
                request = Request(scope, receive, send)
                try:
                    response = await endpoint(request)
                except HTTPException as exc:
                    response = await http_exception_handler(request, exc)
                except Exception as exc:
                    known = error_response(exc)
                    if known is None:
                        raise
                    response = known
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
