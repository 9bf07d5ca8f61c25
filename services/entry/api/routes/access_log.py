"""Auditor API: who looked at which customer's data (the access log).

For admins and auditors only (403 for agents and supervisors): the log shows
which customers an agent looked at, which is itself not for every colleague.
Reading the log is not logged: it holds no customer data.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, Field

from services.entry.api.deps import HubDep, PrincipalDep
from services.infra.access_log import Access
from services.infra.auth import NAME_PATTERN, Principal, Role

router = APIRouter(prefix="/api/v1", tags=["audit"])

MAY_READ_THE_LOG = frozenset({Role.ADMIN, Role.AUDITOR})


async def get_auditor(principal: PrincipalDep) -> Principal:
    if principal.role not in MAY_READ_THE_LOG:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins and auditors may do this")
    return principal


AuditorDep = Annotated[Principal, Depends(get_auditor)]


class AccessOut(BaseModel):
    id: UUID
    at: AwareDatetime
    user: str
    role: str
    what: str = Field(description="customer_360, interaction, attachment or export")
    customer_id: UUID | None
    interaction_id: UUID | None = Field(description="The interaction read, if one was.")

    @classmethod
    def of(cls, access: Access) -> AccessOut:
        return cls(
            id=access.id,
            at=access.at,
            user=access.user,
            role=access.role,
            what=access.what,
            customer_id=access.customer_id,
            interaction_id=access.interaction_id,
        )


class AccessList(BaseModel):
    items: list[AccessOut] = Field(description="Oldest first.")


@router.get(
    "/audit/access",
    summary="Who read which customer's data, when (admins and auditors)",
    responses={403: {"description": "Neither an admin nor an auditor"}},
)
async def access_log(
    hub: HubDep,
    _: AuditorDep,
    customer_id: UUID | None = None,
    user: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    since: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> AccessList:
    found = await anyio.to_thread.run_sync(
        lambda: hub.access_log.find(customer_id=customer_id, user=user, since=since, limit=limit)
    )
    return AccessList(items=[AccessOut.of(a) for a in found])
