"""Agent API: find a customer, see everything, answer."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, HTTPException, Query, status

from domain.addresses import InvalidAddress, normalise_phone
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.outbound.email import EmailDraft
from services.app.outbound.messages import SendOutcome
from services.entry.api import schemas
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.wiring.hub import Hub

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


def page_of(rows: list[dict[str, Any]], limit: int) -> schemas.TimelinePage:
    """A page from up to limit+1 rows: the extra row only says that there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_before = (
        f"{rows[-1]['occurred_at']}{CURSOR_SEPARATOR}{rows[-1]['interaction_id']}" if more else None
    )
    return schemas.TimelinePage(
        items=[schemas.TimelineItem.model_validate(r) for r in rows], next_before=next_before
    )


def timeline_page(
    hub: Hub, customer_id: UUID, limit: int, before: tuple[str, str] | None
) -> schemas.TimelinePage | None:
    rows = hub.views.customer360.read_timeline(customer_id, limit + 1, before)
    return None if rows is None else page_of(rows, limit)


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
    found = hub.views.customer360.read_360(customer_id, limit + 1)
    if found is None:
        return None
    return schemas.Customer360(
        **summary(found).model_dump(),
        language=found["language"],
        source_channel=found["source_channel"],
        addresses=[schemas.ChannelAddress.model_validate(a) for a in found["addresses"]],
        counts=[schemas.ChannelCount.model_validate(c) for c in found["counts"]],
        timeline=page_of(found["timeline"], limit),
    )


@router.get(
    "/customers/{customer_id}",
    summary="The customer 360 view",
    responses={404: {"description": "No such customer"}},
)
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


@router.get(
    "/customers/{customer_id}/timeline",
    summary="The customer's timeline, newest first",
    responses={404: {"description": "No such customer"}},
)
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
    # One thread hop and one transaction for the existence check and the page.
    page = await anyio.to_thread.run_sync(
        timeline_page, hub, customer_id, limit, parse_before(before)
    )
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id}")
    return page


@router.get(
    "/interactions/{interaction_id}",
    summary="One interaction as the timeline shows it",
    responses={404: {"description": "No such interaction"}},
)
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
    def send_by_provider() -> tuple[schemas.MessageAccepted, int]:
        if command.channel == "letter":
            letter = hub.letters.send(
                customer_id,
                subject=command.subject or "",
                body=command.body,
                agent=actor.name,
                idempotency_key=idempotency_key,
            )
            return schemas.MessageAccepted(
                interaction_id=letter.interaction_id,
                status=letter.status,
                provider_message_id=letter.provider_reference,
                error=letter.error,
            ), letter.notification_id
        assert command.channel in ("sms", "whatsapp")  # email is sent on the event loop
        outcome = hub.messaging.send_sms(
            customer_id,
            command.body,
            agent=actor.name,
            to=command.to,
            idempotency_key=idempotency_key,
            channel=command.channel,
        )
        return accepted(outcome)

    try:
        if command.channel == "email":
            email = await hub.email.send_email(
                customer_id, email_draft(command), agent=actor.name, idempotency_key=idempotency_key
            )
            answer, last = accepted(email)
        else:
            answer, last = await anyio.to_thread.run_sync(send_by_provider)
    except CustomerNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {exc}") from exc
    except (CommandRefused, InvalidAddress) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc

    def settle() -> None:
        # Read-your-writes: the agent's next view already shows the message.
        hub.projector.wake()
        hub.projector.wait_for(last, timeout=2.0)

    await anyio.to_thread.run_sync(settle)
    return answer


def accepted(outcome: SendOutcome) -> tuple[schemas.MessageAccepted, int]:
    return (
        schemas.MessageAccepted(
            interaction_id=outcome.interaction_id,
            status=outcome.status,
            provider_message_id=outcome.provider_message_id,
            error=outcome.error,
        ),
        outcome.notification_id,
    )


def email_draft(command: schemas.SendMessage) -> EmailDraft:
    try:
        files = [
            (a.name, a.content_type, base64.b64decode(a.content_base64, validate=True))
            for a in command.attachments
        ]
    except binascii.Error as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"attachment is not valid base64: {exc}"
        ) from exc
    return EmailDraft(
        subject=command.subject,
        text=command.body,
        html=command.html or "",
        to=command.to,
        reply_to=command.reply_to,
        attachments=files,
    )
