"""Agent API: find a customer, see everything, answer."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, HTTPException, Query, status

from domain.addresses import InvalidAddress, normalise_phone
from services.api import schemas
from services.api.deps import ActorDep, HubDep, PrincipalDep
from services.bootstrap import Hub
from services.messaging import CommandRefused, CustomerNotFound

router = APIRouter(prefix="/api/v1", tags=["customers"])

CURSOR_SEPARATOR = "|"


def summary(row: dict[str, Any]) -> schemas.CustomerSummary:
    return schemas.CustomerSummary.model_validate(row)


def parse_before(before: str | None) -> tuple[str, str] | None:
    if not before:
        return None
    if CURSOR_SEPARATOR in before:
        at, _, interaction = before.partition(CURSOR_SEPARATOR)
        return at, interaction
    # A plain timestamp: everything strictly older than it.
    return before, ""


def timeline_page(
    hub: Hub, customer_id: UUID, limit: int, before: str | None
) -> schemas.TimelinePage:
    rows = hub.views.customer360.timeline(customer_id, limit + 1, parse_before(before))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [schemas.TimelineItem.model_validate(r) for r in rows]
    next_before = (
        f"{rows[-1]['occurred_at']}{CURSOR_SEPARATOR}{rows[-1]['interaction_id']}" if more else None
    )
    return schemas.TimelinePage(items=items, next_before=next_before)


@router.get("/customers", summary="Search customers by name, phone or email")
async def search_customers(
    hub: HubDep,
    _: PrincipalDep,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> schemas.SearchResult:
    try:
        phone: str | None = normalise_phone(q, hub.settings.default_region)
    except InvalidAddress:
        phone = None
    rows = await anyio.to_thread.run_sync(hub.views.customer360.search, q, phone, limit)
    owner = await anyio.to_thread.run_sync(customer_of_case, hub, q)
    if owner is not None:  # a case number: its customer first
        rows = [owner, *(r for r in rows if r["customer_id"] != owner["customer_id"])][:limit]
    return schemas.SearchResult(items=[summary(r) for r in rows])


def customer_of_case(hub: Hub, text: str) -> dict[str, Any] | None:
    customer_id = hub.views.complaints.customer_of_case(text.strip())
    return hub.views.customer360.customer(customer_id) if customer_id else None


def load_360(hub: Hub, customer_id: UUID, limit: int) -> schemas.Customer360 | None:
    view = hub.views.customer360
    row = view.customer(customer_id)
    if row is None:
        return None
    return schemas.Customer360(
        **summary(row).model_dump(),
        language=row["language"],
        source_channel=row["source_channel"],
        addresses=[
            schemas.ChannelAddress.model_validate(a)
            for a in hub.views.identity.addresses_of(customer_id)
        ],
        counts=[schemas.ChannelCount.model_validate(c) for c in view.channel_counts(customer_id)],
        timeline=timeline_page(hub, customer_id, limit, None),
    )


@router.get("/customers/{customer_id}", summary="The customer 360 view")
async def customer_360(
    hub: HubDep,
    _: PrincipalDep,
    customer_id: UUID,
    limit: Annotated[int, Query(ge=1, le=200, description="Timeline entries included")] = 20,
) -> schemas.Customer360:
    found = await anyio.to_thread.run_sync(load_360, hub, customer_id, limit)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id}")
    return found


@router.get("/customers/{customer_id}/timeline", summary="The customer's timeline, newest first")
async def customer_timeline(
    hub: HubDep,
    _: PrincipalDep,
    customer_id: UUID,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        str | None,
        Query(description="`next_before` of the previous page, or an ISO 8601 instant"),
    ] = None,
) -> schemas.TimelinePage:
    if await anyio.to_thread.run_sync(hub.views.customer360.customer, customer_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id}")
    return await anyio.to_thread.run_sync(timeline_page, hub, customer_id, limit, before)


@router.get("/interactions/{interaction_id}", summary="One interaction as the timeline shows it")
async def get_interaction(
    hub: HubDep, _: PrincipalDep, interaction_id: UUID
) -> schemas.TimelineItem:
    row = await anyio.to_thread.run_sync(hub.views.customer360.interaction, interaction_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interaction {interaction_id}")
    return schemas.TimelineItem.model_validate(row)


@router.post(
    "/customers/{customer_id}/messages",
    summary="Send a message to the customer",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "No such customer"}, 409: {"description": "Refused"}},
)
async def send_message(
    hub: HubDep,
    actor: ActorDep,
    customer_id: UUID,
    command: schemas.SendMessage,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.MessageAccepted:
    def run() -> schemas.MessageAccepted:
        outcome = hub.messaging.send_sms(
            customer_id,
            command.body,
            agent=actor.name,
            to=command.to,
            idempotency_key=idempotency_key,
        )
        # Read-your-writes: the agent's next view already shows the message.
        hub.projector.wake()
        hub.projector.wait_for(outcome.notification_id, timeout=2.0)
        return schemas.MessageAccepted(
            interaction_id=outcome.interaction_id,
            status=outcome.status,
            provider_message_id=outcome.provider_message_id,
            error=outcome.error,
        )

    try:
        return await anyio.to_thread.run_sync(run)
    except CustomerNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {exc}") from exc
    except (CommandRefused, InvalidAddress) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
