"""Sharing a complaint case with a partner organisation, and withdrawing it.

Both are events on the case's stream (`ComplaintShared`, `ComplaintUnshared`),
so the history says who shared what with whom and when. Agents, supervisors
and admins share; auditors and partners may not (403). Sharing twice, or
withdrawing what is not shared, records nothing.
"""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter

from domain import complaints
from domain.access import CaseAction
from services.entry.api import partner_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep
from services.entry.api.read_your_writes import settled
from services.infra.auth import Principal
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["partners"])

ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "Auditors and partners may not share; nor may another team's agents"},
    404: {"description": "No such complaint, or no such partner organisation"},
}


def _decide(
    hub: Hub, complaint_id: UUID, partner: str, actor: Principal, *, share: bool
) -> schemas.Sharing:
    hub.partners.require(partner)  # PartnerNotFound: 404, as for an unknown case
    decision = complaints.share if share else complaints.unshare
    # Another team's case is theirs to share: 403, as for its other commands.
    guarded = hub.complaints.access.guarded(
        actor,
        CaseAction.SHARE,
        lambda state, stamp: decision(state, stamp, partner=partner, by=actor.name),
    )
    outcome = hub.complaints.desk.decide(complaint_id, guarded)
    # The partner's next call passes the gate at once (it reads the queues' shares).
    settled(hub, outcome.last_notification)
    return schemas.Sharing(complaint_id=complaint_id, partners=sorted(outcome.state.partners))


@router.post(
    "/complaints/{complaint_id}/share",
    summary="Share the case with a partner organisation",
    responses=ERRORS,
)
async def share(
    hub: HubDep, actor: ActorDep, complaint_id: UUID, body: schemas.Share
) -> schemas.Sharing:
    return await anyio.to_thread.run_sync(
        lambda: _decide(hub, complaint_id, body.partner, actor, share=True)
    )


@router.post(
    "/complaints/{complaint_id}/unshare",
    summary="Withdraw the case from a partner organisation",
    responses=ERRORS,
)
async def unshare(
    hub: HubDep, actor: ActorDep, complaint_id: UUID, body: schemas.Share
) -> schemas.Sharing:
    return await anyio.to_thread.run_sync(
        lambda: _decide(hub, complaint_id, body.partner, actor, share=False)
    )
