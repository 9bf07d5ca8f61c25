"""Admin API: users and API tokens (what `contacthub user` and `token` do).

Only admins (403 for every other role). Tokens themselves are made with the
CLI, where the secret is shown once on the admin's own terminal.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, status

from services.entry.api import account_schemas as schemas
from services.entry.api.deps import HubDep, PrincipalDep
from services.infra.accounts import User, UserExists, UserNotFound
from services.infra.auth import NAME_PATTERN, InvalidName, Principal, Role, TokenNotFound
from services.infra.passwords import WeakPassword

router = APIRouter(prefix="/api/v1", tags=["admin"])

FORBIDDEN: dict[int | str, dict[str, str]] = {403: {"description": "Not an admin"}}
UserName = Annotated[str, Path(pattern=NAME_PATTERN)]


async def get_admin(principal: PrincipalDep) -> Principal:
    if principal.role != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins may do this")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


@router.get("/users", summary="Every user, disabled ones too", responses=FORBIDDEN)
async def list_users(hub: HubDep, _: AdminDep) -> schemas.UserList:
    users = await anyio.to_thread.run_sync(hub.users.all)
    return schemas.UserList(items=[schemas.UserView.of(u) for u in users])


@router.post(
    "/users",
    summary="Create a user with a role, a team and a password",
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, 409: {"description": "A user with this name exists"}},
)
async def create_user(hub: HubDep, _: AdminDep, body: schemas.NewUser) -> schemas.UserView:
    def run() -> User:
        return hub.users.create(body.name, body.role, body.password, team=body.team)

    try:
        user = await anyio.to_thread.run_sync(run)
    except UserExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except (InvalidName, WeakPassword) as exc:  # the schema checks first; this is the backstop
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    return schemas.UserView.of(user)


@router.post(
    "/users/{name}/disable",
    summary="Disable a user: no more logins, and the user's tokens stop working",
    responses={**FORBIDDEN, 404: {"description": "No such user"}},
)
async def disable_user(hub: HubDep, _: AdminDep, name: UserName) -> schemas.UserView:
    try:
        user = await anyio.to_thread.run_sync(hub.users.disable, name)
    except UserNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    hub.tokens.forget_cached()  # this process refuses the user's tokens from now on
    return schemas.UserView.of(user)


@router.get("/tokens", summary="Every API token, without its secret", responses=FORBIDDEN)
async def list_tokens(hub: HubDep, _: AdminDep) -> schemas.TokenList:
    tokens = await anyio.to_thread.run_sync(hub.tokens.all)
    return schemas.TokenList(items=[schemas.TokenView.of(t) for t in tokens])


@router.post(
    "/tokens/{name}/revoke",
    summary="Revoke the tokens with this name",
    description="Other API processes may accept them for up to 10 seconds more (their cache).",
    responses={**FORBIDDEN, 404: {"description": "No token with this name"}},
)
async def revoke_token(hub: HubDep, _: AdminDep, name: str) -> schemas.Revoked:
    try:
        revoked = await anyio.to_thread.run_sync(hub.tokens.revoke, name)
    except TokenNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return schemas.Revoked(name=name, revoked=revoked)
