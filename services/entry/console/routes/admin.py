"""Admins manage users in the console: list them, create one with a role, a
team and a password, disable one, revoke API tokens. The same UserStore and
TokenStore as `contacthub user` / `token` and the admin API; every form carries
the session's CSRF token, and every other role gets 403."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.entry.console.auth import ConsoleActor, ConsolePrincipal, ConsoleRefusal
from services.entry.console.rendering import render
from services.infra.accounts import UserExists, UserNotFound
from services.infra.auth import InvalidName, Principal, Role, TokenNotFound
from services.infra.passwords import WeakPassword
from services.wiring.hub import Hub

router = APIRouter(include_in_schema=False)
PAGE = "/admin/users"


async def console_admin(principal: ConsolePrincipal) -> Principal:
    if principal.role != Role.ADMIN:
        raise ConsoleRefusal(403, "admins only")
    return principal


async def console_admin_actor(actor: ConsoleActor) -> Principal:
    """A form POST by an admin: CSRF first (ConsoleActor), then the role."""
    return await console_admin(actor)


ConsoleAdmin = Annotated[Principal, Depends(console_admin)]
ConsoleAdminActor = Annotated[Principal, Depends(console_admin_actor)]


def users_data(hub: Hub) -> dict[str, Any]:
    return {"users": hub.users.all(), "tokens": hub.tokens.all(), "roles": [r.value for r in Role]}


async def users_page(
    request: Request,
    principal: Principal,
    *,
    refusal: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    data = await anyio.to_thread.run_sync(users_data, hub)
    context = {**data, "refusal": refusal}
    return render(
        request, "admin_users.html.j2", context, principal=principal, status_code=status_code
    )


@router.get(PAGE)
async def list_users(request: Request, principal: ConsoleAdmin) -> HTMLResponse:
    return await users_page(request, principal)


@router.post(PAGE)
async def create_user(
    request: Request,
    admin: ConsoleAdminActor,
    name: Annotated[str, Form(max_length=64)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1024)],
    team: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    hub: Hub = request.app.state.hub

    def run() -> None:
        hub.users.create(name.strip(), role, password, team=team.strip() or None)

    try:
        await anyio.to_thread.run_sync(run)
    except UserExists as exc:
        return await users_page(request, admin, refusal=str(exc), status_code=409)
    except (InvalidName, WeakPassword) as exc:
        return await users_page(request, admin, refusal=str(exc), status_code=422)
    return RedirectResponse(f"{PAGE}?created={name.strip()}", status_code=303)


@router.post(PAGE + "/{name}/disable")
async def disable_user(request: Request, admin: ConsoleAdminActor, name: str) -> Response:
    hub: Hub = request.app.state.hub
    try:
        await anyio.to_thread.run_sync(hub.users.disable, name)
    except UserNotFound as exc:
        return await users_page(request, admin, refusal=str(exc), status_code=404)
    hub.tokens.forget_cached()  # this process refuses the user's tokens from now on
    return RedirectResponse(PAGE, status_code=303)


@router.post("/admin/tokens/{name}/revoke")
async def revoke_token(request: Request, admin: ConsoleAdminActor, name: str) -> Response:
    hub: Hub = request.app.state.hub
    try:
        await anyio.to_thread.run_sync(hub.tokens.revoke, name)
    except TokenNotFound as exc:
        return await users_page(request, admin, refusal=str(exc), status_code=404)
    return RedirectResponse(PAGE, status_code=303)
