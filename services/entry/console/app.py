"""Mounts the console on the API's app: its pages, its static files, and how
its refusals look (an HTML page, or the login form), not the API's JSON."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.entry.console.auth import ConsoleRefusal, LoginRequired, session_principal
from services.entry.console.rendering import render
from services.entry.console.routes import (
    admin,
    canned,
    customers,
    dashboard,
    interactions,
    login,
    queues,
)
from services.entry.console.session import SessionSigner
from services.wiring.hub import Hub

STATIC = Path(__file__).parent / "static"
ROUTERS = (
    login.router,
    queues.router,
    customers.router,
    interactions.router,
    dashboard.router,
    admin.router,
    canned.router,
)


async def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request") == "true":  # htmx swaps; the whole page must go
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleRefusal)
    principal = await session_principal(request)
    return render(
        request,
        "error.html.j2",
        {"status": exc.status, "message": exc.message},
        principal=principal,
        status_code=exc.status,
    )


def add_console(app: FastAPI, hub: Hub) -> None:
    # The session key derives from the master key: rotating it ends every session.
    app.state.console_signer = SessionSigner(hub.master_key)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(ConsoleRefusal, _refused)
