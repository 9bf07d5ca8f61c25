"""The start page (queues and my cases) and a queue's cases: claim next, claim,
resolve, reopen, escalate. Commands go through the complaint desk, as the API's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain import complaints
from domain.access import AccessDenied, CaseAction
from domain.complaints import ComplaintState, Stamp
from events import Event
from projections.complaints import CaseFilter
from services.entry.api.complaint_schemas import Complaint, complaint_from_row
from services.entry.api.errors import answer_for
from services.entry.api.read_your_writes import settled
from services.entry.console.auth import ConsoleActor, ConsolePrincipal, ConsoleRefusal
from services.entry.console.rendering import is_htmx, render
from services.infra.auth import Principal
from services.wiring.hub import Hub

router = APIRouter(include_in_schema=False)

Decision = Callable[[ComplaintState | None, Stamp], list[Event]]
LIST_LIMIT = 100


def shown(hub: Hub, rows: list[dict[str, Any]]) -> list[Complaint]:
    policy = hub.complaints.config.policy
    return [complaint_from_row(r, policy) for r in rows]


def queues_by_name(hub: Hub, me: Principal) -> list[dict[str, Any]]:
    """queue_summary's lines (per queue and priority) added up per queue, of the
    queues `me` sees (not another team's)."""
    totals: dict[str, dict[str, Any]] = {}
    for line in hub.views.complaints.queue_summary(hub.complaints.access.hidden(me)):
        total = totals.setdefault(
            line["queue"],
            {"queue": line["queue"], "open": 0, "unassigned": 0, "breached": 0, "oldest": None},
        )
        for key in ("open", "unassigned", "breached"):
            total[key] += int(line[key] or 0)
        if line["oldest"] and (total["oldest"] is None or line["oldest"] < total["oldest"]):
            total["oldest"] = line["oldest"]
    return list(totals.values())


def home_data(hub: Hub, me: Principal) -> dict[str, Any]:
    mine = hub.views.complaints.cases(CaseFilter(assignee=me.name, state="open"), LIST_LIMIT)
    return {"queues": queues_by_name(hub, me), "mine": shown(hub, mine)}


@router.get("/")
async def home(request: Request, principal: ConsolePrincipal) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    data = await anyio.to_thread.run_sync(home_data, hub, principal)
    return render(request, "home.html.j2", data, principal=principal)


def queue_data(hub: Hub, queue: str, everything: bool) -> dict[str, Any]:
    where = CaseFilter(queue=queue, state=None if everything else "open")
    return {
        "queue": queue,
        "cases": shown(hub, hub.views.complaints.cases(where, LIST_LIMIT)),
        "everything": everything,
        "after": hub.store.max_notification_id(),
        "escalation_queue": hub.complaints.config.escalation_queue,
    }


async def queue_page(
    request: Request,
    principal: Principal,
    queue: str,
    *,
    everything: bool = False,
    refusal: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    try:  # another team's queue shows nothing of its cases, a refusal included
        hub.complaints.access.check_read(principal, queue)
    except AccessDenied as exc:
        raise ConsoleRefusal(403, str(exc)) from None
    data = await anyio.to_thread.run_sync(queue_data, hub, queue, everything)
    name = "queue_cases.html.j2" if is_htmx(request) else "queue.html.j2"
    return render(
        request, name, {**data, "refusal": refusal}, principal=principal, status_code=status_code
    )


@router.get("/queues/{queue}")
async def queue(
    request: Request, principal: ConsolePrincipal, queue: str, all: bool = False
) -> HTMLResponse:
    return await queue_page(request, principal, queue[:100], everything=all)


def back_to(queue: str) -> RedirectResponse:
    return RedirectResponse(f"/queues/{queue}", status_code=303)


@router.post("/queues/{queue}/claim-next")
async def claim_next(request: Request, actor: ConsoleActor, queue: str) -> Response:
    hub: Hub = request.app.state.hub

    def run() -> bool:
        hub.complaints.access.check_queue(actor, CaseAction.CLAIM, queue)
        outcome = hub.complaints.desk.claim_next(queue, actor.name)
        if outcome is not None and outcome.notification_ids:
            settled(hub, outcome.last_notification)
        return outcome is not None

    try:
        claimed = await anyio.to_thread.run_sync(run)
    except AccessDenied as exc:
        return await queue_page(request, actor, queue, refusal=str(exc), status_code=403)
    if not claimed:
        return await queue_page(request, actor, queue, refusal="empty", status_code=404)
    return back_to(queue)


def decision_for(
    action: str, actor: Principal, to_queue: str, category: str, product: str
) -> Decision:
    if action == "categorise":
        return lambda s, st: complaints.categorise(
            s, st, category=category or None, product=product or None, by=actor.name
        )
    if action == "claim":
        return lambda s, st: complaints.claim(s, st, agent=actor.name)
    if action == "resolve":
        return lambda s, st: complaints.resolve(s, st, resolution="", by=actor.name)
    if action == "reopen":
        return lambda s, st: complaints.reopen(s, st, by=actor.name)
    if action == "escalate":
        return lambda s, st: complaints.escalate(s, st, to_queue=to_queue, reason="", by=actor.name)
    raise ConsoleRefusal(404, f"no action {action}")


@router.post("/cases/{complaint_id}/{action}")
async def case_action(
    request: Request,
    actor: ConsoleActor,
    complaint_id: UUID,
    action: str,
    queue: Annotated[str, Form(max_length=100)],
    category: Annotated[str, Form(max_length=100)] = "",
    product: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    hub: Hub = request.app.state.hub
    to_queue = hub.complaints.config.escalation_queue
    chosen = decision_for(action, actor, to_queue, category.strip(), product.strip())
    decision = hub.complaints.access.guarded(actor, CaseAction(action), chosen)

    def run() -> None:
        outcome = hub.complaints.desk.decide(complaint_id, decision)
        if outcome.notification_ids:
            settled(hub, outcome.last_notification)

    try:
        await anyio.to_thread.run_sync(run)
    except (ValueError, LookupError, AccessDenied) as exc:
        answer = answer_for(exc)
        if answer is None:
            raise
        return await queue_page(
            request, actor, queue, refusal=answer.detail(exc), status_code=answer.status
        )
    return back_to(queue)
