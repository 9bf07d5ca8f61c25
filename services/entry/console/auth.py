"""Who is at the console: the signed session cookie, the user it names, CSRF checks.

Every console route takes the principal from here, as the API takes it from a
bearer token; every form POST is checked against the session's CSRF token.
"""

from __future__ import annotations

import time
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request

from services.entry.console.session import COOKIE, Session, SessionSigner, csrf_matches
from services.infra.auth import Principal, Role
from services.wiring.hub import Hub

SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)


class LoginRequired(Exception):
    """No valid session: the console sends the browser to /login."""


class ConsoleRefusal(Exception):
    """A console request refused with a status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def signer_of(request: Request) -> SessionSigner | None:
    """The app's session signer (services/entry/console/app.py); None where no
    console is mounted (a gateway), so no cookie is a session there."""
    signer: SessionSigner | None = getattr(request.app.state, "console_signer", None)
    return signer


def read_session(request: Request) -> Session | None:
    value = request.cookies.get(COOKIE)
    signer = signer_of(request)
    if not value or signer is None:
        return None
    return signer.loads(value, int(time.time()))


def principal_of_session(hub: Hub, session: Session | None) -> Principal | None:
    """The session's user as the accounts have them now (a disabled user is out)."""
    if session is None or session.user is None:
        return None
    user = hub.users.get(session.user)
    if user is None or user.disabled_at is not None:
        return None
    if user.role is Role.PARTNER:
        return None  # partners use the API with a partner token, never the console
    return user.principal


async def session_principal(request: Request) -> Principal | None:
    hub: Hub = request.app.state.hub
    return await anyio.to_thread.run_sync(principal_of_session, hub, read_session(request))


async def console_principal(request: Request) -> Principal:
    principal = await session_principal(request)
    if principal is None:
        raise LoginRequired()
    return principal


ConsolePrincipal = Annotated[Principal, Depends(console_principal)]


async def console_actor(request: Request, principal: ConsolePrincipal) -> Principal:
    """A form POST: the CSRF token must match the session's, and the role may act."""
    form = await request.form()
    submitted = form.get("csrf")
    if not csrf_matches(read_session(request), submitted if isinstance(submitted, str) else None):
        raise ConsoleRefusal(403, "csrf")
    if not principal.can_act:
        raise ConsoleRefusal(403, f"role {principal.role} may only read")
    return principal


ConsoleActor = Annotated[Principal, Depends(console_actor)]


async def console_supervisor(principal: ConsolePrincipal) -> Principal:
    if principal.role not in SUPERVISING:
        raise ConsoleRefusal(403, "supervisors only")
    return principal


ConsoleSupervisor = Annotated[Principal, Depends(console_supervisor)]
