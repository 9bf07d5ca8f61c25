"""Pages from templates: the language, the session's CSRF token and the user in
every page, and the headers every console page carries (CSP, no framing)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from services.entry.console.auth import read_session, signer_of
from services.entry.console.language import COOKIE as LANG_COOKIE
from services.entry.console.language import choose_language, translator
from services.entry.console.session import COOKIE, MAX_AGE_SECONDS, Session, new_session
from services.infra.auth import Principal

HERE = Path(__file__).parent
# Autoescape every template: select_autoescape (the default) would skip `.j2` files.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False
    )
)

# Scripts only from the console itself; styles inline too (htmx adds its
# indicator style); an email's HTML runs in a sandboxed srcdoc frame, which
# inherits this policy on top of its own.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; object-src 'self'; media-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def language_of(request: Request) -> str:
    return choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def session_for(request: Request) -> tuple[Session, bool]:
    """The request's session, or a new anonymous one (True: it must be set)."""
    found = read_session(request)
    if found is not None:
        return found, False
    return new_session(int(time.time())), True


def set_session(request: Request, response: Response, session: Session) -> None:
    signer = signer_of(request)
    assert signer is not None  # console pages exist only where add_console put one
    response.set_cookie(
        COOKIE,
        signer.dumps(session),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    session, fresh = session_for(request)
    language = language_of(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(language),
            "lang": language,
            "csrf": session.csrf,
            "me": principal,
            "supervising": principal is not None and principal.role in ("supervisor", "admin"),
            **context,
        },
        status_code=status_code,
    )
    if fresh:
        set_session(request, response, session)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
