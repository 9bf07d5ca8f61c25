"""Agent API for calls: click-to-call and call notes."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, status

from services.app.outbound.calls import NoteInput
from services.entry.api import channel_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep
from services.entry.api.read_your_writes import settle, settled

router = APIRouter(prefix="/api/v1", tags=["calls"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such customer"},
    409: {"description": "Refused: not configured, opted out, quiet hours, no number"},
    422: {"description": "A phone number is not valid (or another field is malformed)"},
}


@router.post(
    "/customers/{customer_id}/calls",
    summary="Click-to-call: ring the agent's phone, then connect the customer",
    status_code=status.HTTP_202_ACCEPTED,
    responses=REFUSALS,
)
async def place_call(
    hub: HubDep,
    actor: ActorDep,
    customer_id: UUID,
    command: schemas.PlaceCall,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.CallAccepted:
    outcome = await hub.calls.place(
        customer_id,
        agent=actor.name,
        agent_phone=command.agent_phone,
        to=command.to,
        idempotency_key=idempotency_key,
    )
    await settle(hub, outcome.notification_id)
    return schemas.CallAccepted(
        interaction_id=outcome.interaction_id,
        status=outcome.status,
        provider_call_id=outcome.provider_id,
        error=outcome.error,
    )


@router.post(
    "/customers/{customer_id}/call-notes",
    summary="Record a call's outcome and notes (also of calls made outside Twilio)",
    status_code=status.HTTP_201_CREATED,
    responses=REFUSALS,
)
async def record_call_note(
    hub: HubDep,
    actor: ActorDep,
    customer_id: UUID,
    note: schemas.CallNote,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.NoteRecorded:
    def run() -> schemas.NoteRecorded:
        interaction_id, last = hub.calls.note(
            customer_id,
            NoteInput(**note.model_dump()),
            agent=actor.name,
            idempotency_key=idempotency_key,
        )
        settled(hub, last)
        return schemas.NoteRecorded(interaction_id=interaction_id)

    return await anyio.to_thread.run_sync(run)
