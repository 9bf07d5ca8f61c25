"""JSON shapes of the admin API for users and tokens (documented in /openapi.json)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.infra.accounts import User
from services.infra.auth import NAME_PATTERN, Role, TokenInfo
from services.infra.passwords import MAX_LENGTH, MIN_LENGTH


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Recorded as who acted; never reused.")
    role: Role
    team: str | None = Field(default=None, pattern=NAME_PATTERN)
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, repr=False)


class UserView(BaseModel):
    name: str
    role: Role
    team: str | None
    created_at: datetime
    disabled_at: datetime | None = Field(description="Set once disabled: no login, no token.")
    locked_until: datetime | None = Field(
        description="Logins are refused until then, after repeated wrong passwords."
    )

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            name=user.name,
            role=user.role,
            team=user.team,
            created_at=user.created_at,
            disabled_at=user.disabled_at,
            locked_until=user.locked_until,
        )


class UserList(BaseModel):
    items: list[UserView]


class TokenView(BaseModel):
    """A token without its secret (which is shown only once, when made)."""

    name: str
    user: str | None = Field(description="The user it acts as; null for a token of its own.")
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: TokenInfo) -> TokenView:
        return cls(
            name=token.name,
            user=token.user,
            role=token.role,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class TokenList(BaseModel):
    items: list[TokenView]


class Revoked(BaseModel):
    name: str
    revoked: int = Field(description="How many tokens of this name were still valid.")
