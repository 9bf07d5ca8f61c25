"""Agent API: find a customer, see everything, answer."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from pydantic import AwareDatetime

from adapters.voice.recordings import RecordingUnavailable
from domain.addresses import InvalidAddress, normalise_phone
from services.app.errors import CustomerNotFound
from services.app.interactions import Attachment
from services.app.outbound.email import EmailDraft
from services.app.outbound.pipeline import SendOutcome
from services.entry.api import schemas
from services.entry.api.analytics_schemas import (
    BuyingBehaviour,
    SuggestionList,
    classification_of,
    suggestions_of,
)
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settle
from services.infra.auth import Principal
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["customers"])

CURSOR_SEPARATOR = "|"

AsOf = Annotated[
    AwareDatetime | None,
    Query(
        description="An ISO 8601 instant with its offset: the customer as the hub knew them"
        " then (by recorded time), computed from the events"
    ),
]


def log_access(
    hub: Hub,
    principal: Principal,
    what: str,
    customer_id: UUID,
    interaction_id: UUID | None = None,
) -> None:
    hub.access_log.record(
        user=principal.name,
        role=principal.role.value,
        what=what,
        customer_id=customer_id,
        interaction_id=interaction_id,
    )


def attachment_read(
    hub: Hub, principal: Principal, interaction_id: UUID, n: int
) -> Attachment | None:
    found = hub.interactions.attachment(interaction_id, n)
    row = hub.views.customer360.interaction(interaction_id) if found is not None else None
    if found is None or row is None:
        return None
    log_access(hub, principal, "attachment", UUID(row["customer_id"]), interaction_id)
    return found


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
    hub: Hub,
    customer_id: UUID,
    limit: int,
    before: tuple[str, str] | None,
    as_of: datetime | None = None,
) -> schemas.TimelinePage | None:
    if as_of is not None:
        found = hub.history.as_of(customer_id, as_of)
        if found is None:
            return None
        folded = [r for r in found["timeline"] if before is None or older(r, before)]
        return page_of(folded[: limit + 1], limit)
    shown = hub.views.identity.shown_as(customer_id)
    rows = hub.views.customer360.read_timeline(shown, limit + 1, before)
    return None if rows is None else page_of(rows, limit)


def older(row: dict[str, Any], before: tuple[str, str]) -> bool:
    """What the live timeline's keyset condition says, on a folded row."""
    return (row["occurred_at"], row["interaction_id"]) < before


@router.get("/customers", summary="Search customers by name, phone or email")
async def search_customers(
    hub: HubDep,
    _: PrincipalDep,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> schemas.SearchResult:
    try:
        phone: str | None = normalise_phone(q, hub.settings.default_region)
    except InvalidAddress:
        phone = None
    rows, total = await anyio.to_thread.run_sync(
        hub.views.customer360.search_page, q, phone, limit, offset
    )
    owner = await anyio.to_thread.run_sync(customer_of_case, hub, q)
    if owner is not None and offset == 0:  # a case number: its customer first
        others = [r for r in rows if r["customer_id"] != owner["customer_id"]]
        if len(others) == len(rows):  # the case's customer was not among the matches
            total += 1
        rows = [owner, *others][:limit]
    rows = await anyio.to_thread.run_sync(shown_customers, hub, rows)
    return schemas.SearchResult(
        items=[summary(r) for r in rows], total=total, offset=offset, limit=limit
    )


def shown_customers(hub: Hub, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each found customer as their views show them: a customer merged into
    another is found as that one (once)."""
    shown: dict[str, dict[str, Any]] = {}
    for row in rows:
        customer_id = hub.views.identity.shown_as(UUID(str(row["customer_id"])))
        if str(customer_id) != str(row["customer_id"]):
            row = hub.views.customer360.customer(customer_id) or row
        shown.setdefault(str(row["customer_id"]), row)
    return list(shown.values())


def customer_of_case(hub: Hub, text: str) -> dict[str, Any] | None:
    customer_id = hub.views.complaints.customer_of_case(text.strip())
    return hub.views.customer360.customer(customer_id) if customer_id else None


def load_360(
    hub: Hub,
    principal: Principal | None,
    customer_id: UUID,
    limit: int,
    as_of: datetime | None = None,
) -> schemas.Customer360 | None:
    """The 360 (as of an instant, if given). `principal` is logged as the reader;
    None: the caller logs the access itself (the CLI, as the operator)."""
    if as_of is not None:
        found = hub.history.as_of(customer_id, as_of)
        if found is None:
            return None
        found["timeline"] = found["timeline"][: limit + 1]
    else:
        shown = hub.views.identity.shown_as(customer_id)
        found = hub.views.customer360.read_360(shown, limit + 1)
        if found is None:
            return None
        found["merged"] = hub.views.identity.merges_into(shown)
    # Recorded before the data leaves: a read that cannot be logged is not served.
    if principal is not None:
        log_access(hub, principal, "customer_360", customer_id)
    return schemas.Customer360(
        **summary(found).model_dump(),
        language=found["language"],
        source_channel=found["source_channel"],
        addresses=[schemas.ChannelAddress.model_validate(a) for a in found["addresses"]],
        counts=[schemas.ChannelCount.model_validate(c) for c in found["counts"]],
        timeline=page_of(found["timeline"], limit),
        merged=[schemas.MergedCustomer.model_validate(m) for m in found["merged"]],
        buying=BuyingBehaviour.of(hub.views.orders.behaviour_of(customer_id)),
        classification=classification_of(hub.valuations.snapshot(), str(customer_id)),
        suggestions=suggestions_of(*hub.suggestions.for_customer(customer_id)),
    )


@router.get(
    "/customers/{customer_id}",
    summary="The customer 360 view",
    responses={404: {"description": "No such customer"}},
)
async def customer_360(
    hub: HubDep,
    principal: PrincipalDep,
    customer_id: UUID,
    limit: Annotated[int, Query(ge=1, le=200, description="Timeline entries included")] = 20,
    as_of: AsOf = None,
) -> schemas.Customer360:
    found = await anyio.to_thread.run_sync(load_360, hub, principal, customer_id, limit, as_of)
    if found is None:
        raise CustomerNotFound(str(customer_id))
    return found


def load_suggestions(hub: Hub, customer_id: UUID, limit: int) -> SuggestionList | None:
    if hub.views.customer360.customer(customer_id) is None:
        return None
    return suggestions_of(*hub.suggestions.for_customer(customer_id, limit))


@router.get(
    "/customers/{customer_id}/suggestions",
    summary="Products to offer the customer: what customers with similar baskets bought",
    responses={404: {"description": "No such customer"}},
)
async def customer_suggestions(
    hub: HubDep,
    _: PrincipalDep,
    customer_id: UUID,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SuggestionList:
    found = await anyio.to_thread.run_sync(load_suggestions, hub, customer_id, limit)
    if found is None:
        raise CustomerNotFound(str(customer_id))
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
        Query(
            max_length=120,
            description="`next_before` of the previous page, or an ISO 8601 instant",
        ),
    ] = None,
    as_of: AsOf = None,
) -> schemas.TimelinePage:
    # One thread hop and one transaction for the existence check and the page.
    page = await anyio.to_thread.run_sync(
        timeline_page, hub, customer_id, limit, parse_before(before), as_of
    )
    if page is None:
        raise CustomerNotFound(str(customer_id))
    return page


def interaction_detail(
    hub: Hub, principal: Principal | None, interaction_id: UUID
) -> schemas.InteractionDetail | None:
    """The interaction whole; the read is logged for `principal` (None: the caller
    logs it, as the export does once for everything it reads)."""
    row = hub.views.customer360.interaction(interaction_id)
    if row is None:
        return None
    if principal is not None:
        log_access(hub, principal, "interaction", UUID(row["customer_id"]), interaction_id)
    content = hub.interactions.content(interaction_id)
    consent = hub.interactions.consent(interaction_id)
    base = f"/api/v1/interactions/{interaction_id}/attachments"
    return schemas.InteractionDetail(
        **schemas.TimelineItem.model_validate(row).model_dump(),
        body=content.body,
        html=content.html,
        attachments=[
            schemas.AttachmentOut(
                name=a.name, content_type=a.content_type, size=a.size, url=f"{base}/{n}"
            )
            for n, a in enumerate(content.attachments)
        ],
        consent=None
        if consent is None
        else schemas.ConsentInForce(
            id=consent.consent_id,
            channel=consent.channel,
            purpose=consent.purpose,
            granted=consent.granted,
            at=consent.at,
            source=consent.source,
            changed_by=consent.changed_by,
        ),
    )


@router.get(
    "/interactions/{interaction_id}",
    summary="One interaction whole: its timeline entry, full text, email HTML and attachments",
    responses={404: {"description": "No such interaction"}},
)
async def get_interaction(
    hub: HubDep, principal: PrincipalDep, interaction_id: UUID
) -> schemas.InteractionDetail:
    found = await anyio.to_thread.run_sync(interaction_detail, hub, principal, interaction_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interaction {interaction_id}")
    return found


@router.get(
    "/interactions/{interaction_id}/attachments/{n}",
    summary="A file's bytes: an email attachment, a letter's PDF or scan, a call's recording "
    "(n counts from 0, as listed in `attachments`)",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        404: {"description": "No such interaction or attachment"},
        502: {"description": "Twilio did not deliver the call recording (try again)"},
    },
)
async def get_attachment(
    hub: HubDep, principal: PrincipalDep, interaction_id: UUID, n: int
) -> Response:
    try:
        found = await anyio.to_thread.run_sync(attachment_read, hub, principal, interaction_id, n)
    except RecordingUnavailable as exc:
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, f"the recording could not be fetched: {exc}"
        ) from exc
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"interaction {interaction_id} has no attachment {n}"
        )
    # A download, never rendered in the agent's console (an HTML attachment
    # could carry scripts), and never sniffed into another type.
    disposition = "attachment"
    if found.meta.name:
        disposition += f"; filename*=UTF-8''{quote(found.meta.name, safe='')}"
    return Response(
        found.data,
        media_type=found.meta.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.post(
    "/customers/{customer_id}/messages",
    summary="Send a message to the customer",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"description": "No such customer"},
        409: {"description": "Refused"},
        422: {"description": "The `to` number is not valid (or another field is malformed)"},
    },
)
async def send_message(
    hub: HubDep,
    actor: ActorDep,
    customer_id: UUID,
    command: schemas.SendMessage,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.MessageAccepted:
    if command.channel == "email":
        outcome = await hub.email.send_email(
            customer_id, email_draft(command), agent=actor.name, idempotency_key=idempotency_key
        )
    elif command.channel == "letter":
        outcome = await hub.letters.send(
            customer_id,
            subject=command.subject or "",
            body=command.body,
            agent=actor.name,
            idempotency_key=idempotency_key,
        )
    else:
        outcome = await hub.messaging.send_sms(
            customer_id,
            command.body,
            agent=actor.name,
            to=command.to,
            idempotency_key=idempotency_key,
            channel=command.channel,
        )
    answer, last = accepted(outcome)
    # Read-your-writes: the agent's next view already shows the message.
    await settle(hub, last)
    return answer


def accepted(outcome: SendOutcome) -> tuple[schemas.MessageAccepted, int]:
    return (
        schemas.MessageAccepted(
            interaction_id=outcome.interaction_id,
            status=outcome.status,
            provider_message_id=outcome.provider_id,
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
