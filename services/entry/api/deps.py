"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.entry.api.partner_gate import check_partner
from services.infra.auth import Principal, Role
from services.wiring.hub import Hub

bearer = HTTPBearer(auto_error=False, description="A token from `contacthub token create`.")


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def get_principal(
    hub: HubDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = credentials.credentials
    principal = hub.tokens.cached(token) or await anyio.to_thread.run_sync(
        hub.tokens.authenticate, token
    )
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or revoked token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if principal.role is Role.PARTNER:
        # Partners reach only their routes and shared objects: one check for every route.
        await anyio.to_thread.run_sync(check_partner, hub, request, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_actor(principal: PrincipalDep) -> Principal:
    if not principal.can_act:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role} may only read")
    return principal


ActorDep = Annotated[Principal, Depends(get_actor)]
