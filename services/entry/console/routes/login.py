"""Log in and out. Five wrong passwords in a row lock the user a while
(services/infra/accounts.py decides and stores it); the page says so."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.entry.console.auth import ConsoleRefusal, read_session
from services.entry.console.language import COOKIE as LANG_COOKIE
from services.entry.console.language import LANGUAGES
from services.entry.console.rendering import render, set_session
from services.entry.console.session import COOKIE, csrf_matches, new_session
from services.wiring.hub import Hub

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html.j2", {"next": safe_next(next), "error": None})


def is_locked(hub: Hub, name: str) -> bool:
    user = hub.users.get(name)
    return bool(user and user.locked_until and user.locked_until > datetime.now(UTC))


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not csrf_matches(read_session(request), csrf):
        raise ConsoleRefusal(403, "csrf")
    hub: Hub = request.app.state.hub
    principal = await anyio.to_thread.run_sync(hub.users.verify_login, username, password)
    if principal is None:
        locked = await anyio.to_thread.run_sync(is_locked, hub, username)
        return render(
            request,
            "login.html.j2",
            {"next": safe_next(next), "error": "login_locked" if locked else "login_wrong"},
            status_code=429 if locked else 401,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session(request, response, new_session(int(time.time()), principal.name))
    return response


@router.post("/logout")
async def logout(
    request: Request, csrf: Annotated[str, Form(max_length=200)] = ""
) -> RedirectResponse:
    if not csrf_matches(read_session(request), csrf):
        raise ConsoleRefusal(403, "csrf")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/language/{language}")
async def switch_language(language: str, next: str | None = None) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response
