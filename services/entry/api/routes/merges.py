"""Agent API: merge two customers into one, and split them again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, status

from services.app.history import MergeDone
from services.entry.api import history_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep
from services.entry.api.read_your_writes import settled

router = APIRouter(prefix="/api/v1", tags=["customers"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such customer"},
    409: {"description": "Refused: the reason (already merged, not in force, the same customer)"},
}


def answer(done: MergeDone) -> schemas.MergeOut:
    return schemas.MergeOut(
        merge_id=done.merge_id,
        customer_id=done.customer_id,
        other_customer_id=done.other_customer_id,
    )


@router.post(
    "/customers/{customer_id}/merge",
    summary="Merge another customer into this one: both timelines, all addresses",
    status_code=status.HTTP_201_CREATED,
    responses=REFUSALS,
)
async def merge_customers(
    hub: HubDep, actor: ActorDep, customer_id: UUID, command: schemas.MergeCommand
) -> schemas.MergeOut:
    def run() -> MergeDone:
        done = hub.history.merge(customer_id, command.other_customer_id, agent=actor.name)
        settled(hub, done.notification_id)
        return done

    return answer(await anyio.to_thread.run_sync(run))


@router.post(
    "/customers/{customer_id}/unmerge",
    summary="Undo a merge: both customers exactly as before it",
    responses=REFUSALS,
)
async def unmerge_customers(
    hub: HubDep, actor: ActorDep, customer_id: UUID, command: schemas.UnmergeCommand
) -> schemas.MergeOut:
    def run() -> MergeDone:
        done = hub.history.unmerge(customer_id, command.merge_id, agent=actor.name)
        settled(hub, done.notification_id)
        return done

    return answer(await anyio.to_thread.run_sync(run))
