"""Agent API: the customer's consent per channel."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, HTTPException, status

from services.app.errors import CustomerNotFound
from services.entry.api import channel_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.infra.eventstore.store import IntegrityError

router = APIRouter(prefix="/api/v1", tags=["consent"])


@router.get(
    "/customers/{customer_id}/consent",
    summary="The customer's consent per channel",
    responses={404: {"description": "No such customer"}},
)
async def get_consent(hub: HubDep, _: PrincipalDep, customer_id: UUID) -> schemas.ConsentState:
    try:
        channels = await anyio.to_thread.run_sync(hub.consent.current, customer_id)
    except CustomerNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {exc}") from exc
    return schemas.ConsentState(channels=channels)


@router.put(
    "/customers/{customer_id}/consent",
    summary="Record opt-ins and opt-outs per channel; an opt-out stops outbound contact",
    responses={404: {"description": "No such customer"}, 409: {"description": "Retry"}},
)
async def put_consent(
    hub: HubDep, actor: ActorDep, customer_id: UUID, update: schemas.ConsentUpdate
) -> schemas.ConsentState:
    def run() -> dict[str, bool]:
        channels, last = hub.consent.change(
            customer_id, update.channels, agent=actor.name, source=update.source
        )
        if last:
            hub.projector.wake()
            hub.projector.wait_for(last, timeout=2.0)
        return channels

    try:
        channels = await anyio.to_thread.run_sync(run)
    except CustomerNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {exc}") from exc
    except IntegrityError as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the customer changed meanwhile; retry"
        ) from exc
    return schemas.ConsentState(channels=channels)
