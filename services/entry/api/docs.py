"""`/docs` without internet: Swagger UI's files served from the swagger-ui-py package.

FastAPI's default page loads Swagger UI from a CDN, so on a machine without
internet (or behind a strict proxy) it stayed blank. swagger-ui-py ships
Swagger UI 5 (the first to render OpenAPI 3.1, which FastAPI writes); its
files are mounted under ASSETS and the page points there. ReDoc has no such
package, so /redoc is off.

`CONTACTHUB_DOCS` restricts both the page and the document it shows: `on`
(open), `auth` (a valid API token or a console session: a signed-in agent's
browser loads /docs as it is), `off` (404). The app is then made with
`openapi_url=None` and /openapi.json is served here, behind the same check.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from services.entry.console.auth import session_principal
from services.wiring.hub import Hub

ASSETS = "/docs/assets"
SWAGGER_UI = Path(str(files("swagger_ui") / "static"))


OPENAPI = "/openapi.json"


def openapi_url(mode: str) -> str | None:
    """FastAPI's own /openapi.json route: only when the docs are open."""
    return OPENAPI if mode == "on" else None


async def known_caller(request: Request) -> bool:
    """A valid bearer token, or a console session of an enabled user."""
    hub: Hub = request.app.state.hub
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        found = hub.tokens.cached(token) or await anyio.to_thread.run_sync(
            hub.tokens.authenticate, token
        )
        return found is not None
    return await session_principal(request) is not None


async def _allowed(request: Request, mode: str) -> None:
    if mode == "off":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    if mode == "auth" and not await known_caller(request):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the API documentation needs a bearer token or a console session",
            headers={"WWW-Authenticate": "Bearer"},
        )


def mount_docs(app: FastAPI, *, title: str, mode: str = "on") -> None:
    """Serves /docs and Swagger UI's assets; the app must have docs_url=None and
    openapi_url=openapi_url(mode)."""
    if mode == "off":
        return
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    redirect = "/docs/oauth2-redirect"

    if mode != "on":

        @app.get(OPENAPI, include_in_schema=False)
        async def openapi_document(request: Request) -> JSONResponse:
            await _allowed(request, mode)
            document: dict[str, Any] = app.openapi()
            return JSONResponse(document)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        await _allowed(request, mode)
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + OPENAPI,
            title=f"{title} - API",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=root + redirect,
            # Off: the validator badge would send the document to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
