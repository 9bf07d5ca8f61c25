"""Find a customer, see the whole customer, answer from there."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.addresses import InvalidAddress, normalise_phone
from projections.complaints import CaseFilter
from services.app.outbound.calls import NoteInput
from services.app.outbound.email import EmailDraft
from services.app.outbound.pipeline import SendOutcome
from services.entry.api.errors import answer_for
from services.entry.api.read_your_writes import settle, settled
from services.entry.api.routes.customers import (
    customer_of_case,
    load_360,
    parse_before,
    timeline_page,
)
from services.entry.console.auth import ConsoleActor, ConsolePrincipal, ConsoleRefusal
from services.entry.console.rendering import is_htmx, render
from services.infra.auth import Principal
from services.wiring.hub import Hub

router = APIRouter(include_in_schema=False)

PAGE = 20
TIMELINE_PAGE = 15


def find(hub: Hub, q: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The first page of matches and how many there are in all."""
    try:
        phone: str | None = normalise_phone(q, hub.settings.default_region)
    except InvalidAddress:
        phone = None
    rows, total = hub.views.customer360.search_page(q, phone, limit)
    owner = customer_of_case(hub, q)
    if owner is not None:
        others = [r for r in rows if r["customer_id"] != owner["customer_id"]]
        if len(others) == len(rows):  # the case's customer was not among the matches
            total += 1
        rows = [owner, *others][:limit]
    return rows, total


@router.get("/customers")
async def search_page(request: Request, principal: ConsolePrincipal, q: str = "") -> HTMLResponse:
    q = q.strip()[:200]
    hub: Hub = request.app.state.hub
    rows, total = await anyio.to_thread.run_sync(find, hub, q, PAGE) if len(q) >= 2 else ([], 0)
    name = "search_results.html.j2" if is_htmx(request) else "search.html.j2"
    return render(request, name, {"q": q, "rows": rows, "total": total}, principal=principal)


def customer_page_data(hub: Hub, principal: Principal, customer_id: UUID) -> dict[str, Any] | None:
    # The console's reads are logged as the API's are (who looked at what).
    found = load_360(hub, principal, customer_id, TIMELINE_PAGE)
    if found is None:
        return None
    hidden = hub.complaints.access.hidden(principal)  # another team's cases stay out
    where = CaseFilter(customer_id=customer_id, state="open", hidden_queues=hidden)
    cases = hub.views.complaints.cases(where, 20)
    return {
        "customer": found,
        "consent": hub.consent.current(customer_id).channels,
        "cases": cases,
        "after": hub.store.max_notification_id(),
    }


async def customer_page(
    request: Request,
    principal: Principal,
    customer_id: UUID,
    *,
    notice: str | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    data = await anyio.to_thread.run_sync(customer_page_data, hub, principal, customer_id)
    if data is None:
        raise ConsoleRefusal(404, f"no customer {customer_id}")
    return render(
        request,
        "customer.html.j2",
        {**data, "notice": notice, "refusal": refusal},
        principal=principal,
        status_code=status_code,
    )


@router.get("/customers/{customer_id}")
async def customer(
    request: Request, principal: ConsolePrincipal, customer_id: UUID, sent: str | None = None
) -> HTMLResponse:
    return await customer_page(request, principal, customer_id, notice="sent" if sent else None)


@router.get("/customers/{customer_id}/timeline")
async def timeline(
    request: Request,
    principal: ConsolePrincipal,
    customer_id: UUID,
    before: str | None = None,
    settle_to: int | None = None,
) -> HTMLResponse:
    """A page of the timeline (htmx): older entries, or the newest after a live event."""
    hub: Hub = request.app.state.hub
    if settle_to is not None:
        await settle(hub, settle_to)  # the live event's notification, projected
    page = await anyio.to_thread.run_sync(
        timeline_page, hub, customer_id, TIMELINE_PAGE, parse_before(before)
    )
    if page is None:
        raise ConsoleRefusal(404, f"no customer {customer_id}")
    return render(
        request,
        "timeline_items.html.j2",
        {"page": page, "customer_id": customer_id, "append": before is not None},
        principal=principal,
    )


async def refused_or_raise(
    request: Request, principal: Principal, customer_id: UUID, exc: Exception
) -> HTMLResponse:
    """A use case's refusal (consent, quiet hours, not configured, a bad number)
    shown on the customer's page, with the status the API would answer."""
    answer = answer_for(exc)
    if answer is None:
        raise exc
    return await customer_page(
        request, principal, customer_id, refusal=answer.detail(exc), status_code=answer.status
    )


@router.post("/customers/{customer_id}/messages")
async def send_message(
    request: Request,
    actor: ConsoleActor,
    customer_id: UUID,
    channel: Annotated[Literal["sms", "whatsapp", "email", "letter"], Form()],
    body: Annotated[str, Form(min_length=1, max_length=10_000)],
    subject: Annotated[str, Form(max_length=500)] = "",
    to: Annotated[str, Form(max_length=320)] = "",
    reply_to: Annotated[UUID | None, Form()] = None,
) -> Response:
    hub: Hub = request.app.state.hub
    try:
        outcome: SendOutcome
        if channel == "email":
            # A reply (from the email's page) is threaded: In-Reply-To, References.
            draft = EmailDraft(
                subject=subject or None, text=body, html="", to=to or None, reply_to=reply_to
            )
            outcome = await hub.email.send_email(customer_id, draft, agent=actor.name)
        elif channel == "letter":
            outcome = await hub.letters.send(
                customer_id, subject=subject, body=body, agent=actor.name
            )
        else:
            outcome = await hub.messaging.send_sms(
                customer_id, body, agent=actor.name, to=to or None, channel=channel
            )
    except (ValueError, LookupError) as exc:
        return await refused_or_raise(request, actor, customer_id, exc)
    await settle(hub, outcome.notification_id)
    if outcome.error:
        return await customer_page(
            request, actor, customer_id, refusal=outcome.error, status_code=502
        )
    return RedirectResponse(f"/customers/{customer_id}?sent={channel}", status_code=303)


@router.post("/customers/{customer_id}/calls")
async def place_call(
    request: Request,
    actor: ConsoleActor,
    customer_id: UUID,
    agent_phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    hub: Hub = request.app.state.hub
    try:
        outcome = await hub.calls.place(
            customer_id, agent=actor.name, agent_phone=agent_phone or None
        )
    except (ValueError, LookupError) as exc:
        return await refused_or_raise(request, actor, customer_id, exc)
    await settle(hub, outcome.notification_id)
    return RedirectResponse(f"/customers/{customer_id}?sent=call", status_code=303)


@router.post("/customers/{customer_id}/call-notes")
async def call_note(
    request: Request,
    actor: ConsoleActor,
    customer_id: UUID,
    outcome: Annotated[str, Form(pattern=r"^[a-z][a-z0-9-]{0,39}$")],
    notes: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    hub: Hub = request.app.state.hub

    def run() -> None:
        _, last = hub.calls.note(
            customer_id,
            NoteInput(outcome=outcome, notes=notes),
            agent=actor.name,
            idempotency_key=None,
        )
        settled(hub, last)

    try:
        await anyio.to_thread.run_sync(run)
    except (ValueError, LookupError) as exc:
        return await refused_or_raise(request, actor, customer_id, exc)
    return RedirectResponse(f"/customers/{customer_id}?sent=note", status_code=303)
