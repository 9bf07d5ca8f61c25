"""Supervisor figures on complaints: open cases and age per queue, SLA compliance,
first response and resolution times (median, p90), per agent and per channel."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from projections.complaints.figures import complaint_figures
from services.entry.api.deps import HubDep, PrincipalDep
from services.infra.auth import Principal, Role
from services.wiring.hub import now_of

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


async def get_overseer(principal: PrincipalDep) -> Principal:
    if principal.role not in (Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "supervisor figures are for supervisors")
    return principal


class Durations(BaseModel):
    count: int
    median_seconds: float | None
    p90_seconds: float | None = Field(description="Nearest rank: the value at ceil(0.9 n).")


class GroupFigures(BaseModel):
    cases: int
    open: int
    oldest_open_age_seconds: float | None
    median_open_age_seconds: float | None
    sla_compliance_percent: float | None = Field(
        description="Cases without a breach under the current SLA policy, of all cases."
    )
    first_response: Durations = Field(description="First agent reply minus opening.")
    resolution: Durations = Field(description="Resolution minus opening, resolved cases.")


class QueueFigures(GroupFigures):
    queue: str


class ChannelFigures(GroupFigures):
    channel: str


class AgentFigures(BaseModel):
    agent: str
    open_assigned: int
    resolved: int
    sla_compliance_percent: float | None = Field(description="Of the cases they resolved.")
    first_response: Durations = Field(description="Cases they answered first.")
    resolution: Durations = Field(description="Cases they resolved.")


class ComplaintFigures(BaseModel):
    generated_at: str
    overall: GroupFigures
    queues: list[QueueFigures]
    channels: list[ChannelFigures]
    agents: list[AgentFigures]


@router.get(
    "/complaints",
    summary="Supervisor figures on complaints",
    responses={403: {"description": "For supervisors, admins and auditors only"}},
)
async def complaint_analytics(
    hub: HubDep, principal: Annotated[Principal, Depends(get_overseer)]
) -> ComplaintFigures:
    # A team's supervisor sees the figures of its team's (and team-less) queues.
    hidden = hub.complaints.access.hidden(principal)
    rows = await anyio.to_thread.run_sync(hub.views.complaints.figures_rows, hidden)
    return ComplaintFigures.model_validate(complaint_figures(rows, now_of(hub)))
