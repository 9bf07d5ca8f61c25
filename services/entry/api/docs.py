"""`/docs` without internet: Swagger UI's files served from the swagger-ui-py package.

FastAPI's default page loads Swagger UI from a CDN, so on a machine without
internet (or behind a strict proxy) it stayed blank. swagger-ui-py ships
Swagger UI 5 (the first to render OpenAPI 3.1, which FastAPI writes); its
files are mounted under ASSETS and the page points there. ReDoc has no such
package, so /redoc is off.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI = Path(str(files("swagger_ui") / "static"))


def mount_docs(app: FastAPI, *, title: str) -> None:
    """Serves /docs and Swagger UI's assets; the app must have docs_url=None."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
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
