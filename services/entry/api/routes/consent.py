"""Agent API: the customer's consent per channel and purpose."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter

from services.app.consent import ConsentNow
from services.entry.api import channel_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled

router = APIRouter(prefix="/api/v1", tags=["consent"])


@router.get(
    "/customers/{customer_id}/consent",
    summary="The customer's consent per channel and purpose",
    responses={404: {"description": "No such customer"}},
)
async def get_consent(hub: HubDep, _: PrincipalDep, customer_id: UUID) -> schemas.ConsentState:
    now = await anyio.to_thread.run_sync(hub.consent.current, customer_id)
    return schemas.ConsentState(channels=now.channels, purposes=now.purposes)


@router.put(
    "/customers/{customer_id}/consent",
    summary="Record opt-ins and opt-outs per channel; an opt-out stops outbound contact",
    responses={404: {"description": "No such customer"}, 409: {"description": "Retry"}},
)
async def put_consent(
    hub: HubDep, actor: ActorDep, customer_id: UUID, update: schemas.ConsentUpdate
) -> schemas.ConsentState:
    def run() -> ConsentNow:
        now, last = hub.consent.change(
            customer_id,
            update.channels,
            agent=actor.name,
            source=update.source,
            purpose=update.purpose,
        )
        settled(hub, last)
        return now

    now = await anyio.to_thread.run_sync(run)
    return schemas.ConsentState(channels=now.channels, purposes=now.purposes)
