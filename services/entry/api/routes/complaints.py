"""Complaint cases and queues: list, open, claim, resolve, reopen, escalate...

Commands answer with the case as the queues now show it (the route waits for
the projection, so the agent's next list already has the change). An illegal
transition is 409 with the reason; an unknown case 404 (both answered by
services/entry/api/errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID, uuid4

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status

from domain import complaints
from domain.access import CaseAction
from domain.complaint_intake import NewCase
from domain.complaints import CaseNotFound, ComplaintState, Stamp
from events import CustomerRegistered, Event, Priority, complaint_id_for
from projections.complaints import CaseFilter
from services.app.complaints.desk import Outcome
from services.app.errors import CustomerNotFound
from services.entry.api import complaint_schemas as schemas
from services.entry.api.bounds import SQL_INT_MAX
from services.entry.api.command_ids import command_id
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled_row
from services.infra.auth import Principal, Role
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/api/v1", tags=["complaints"])

ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "The case is in another team's queue, or the role may not do this"},
    404: {"description": "No such complaint"},
    409: {"description": "Not allowed in the case's state; `detail` says why"},
}
Decision = Callable[[ComplaintState | None, Stamp], list[Event]]


async def get_supervisor(principal: ActorDep) -> Principal:
    if principal.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only supervisors may do this")
    return principal


SupervisorDep = Annotated[Principal, Depends(get_supervisor)]


def shown(hub: Hub, outcome: Outcome) -> schemas.Complaint:
    """The case from the queues, once they include the command's events."""
    row = settled_row(
        hub,
        outcome.last_notification if outcome.notification_ids else None,
        lambda: hub.views.complaints.case(outcome.state.complaint_id),
        views="queues",
    )
    return schemas.complaint_from_row(row, hub.complaints.config.policy)


async def command(
    hub: Hub, actor: Principal, action: CaseAction, complaint_id: UUID, decision: Decision
) -> schemas.Complaint:
    guarded = hub.complaints.access.guarded(actor, action, decision)

    def run() -> schemas.Complaint:
        return shown(hub, hub.complaints.desk.decide(complaint_id, guarded))

    return await anyio.to_thread.run_sync(run)


# A filter is compared, never searched: longer than any name it could match is a 422.
FilterTerm = Annotated[str | None, Query(max_length=200)]


@router.get("/complaints", summary="Cases by queue and state, highest priority and oldest first")
async def list_complaints(
    hub: HubDep,
    principal: PrincipalDep,
    queue: FilterTerm = None,
    state: schemas.StateFilter = "open",
    priority: Priority | None = None,
    channel: FilterTerm = None,
    product: FilterTerm = None,
    category: FilterTerm = None,
    sla: Annotated[schemas.SlaState | None, Query(description="SLA state")] = None,
    assignee: FilterTerm = None,
    customer_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> schemas.ComplaintList:
    access = hub.complaints.access
    if queue is not None:
        access.check_read(principal, queue)  # naming another team's queue is a 403
    where = CaseFilter(
        queue=queue,
        state=None if state == "all" else state,
        priority=priority,
        channel=channel,
        product=product,
        category=category,
        sla_state=sla,
        assignee=assignee,
        customer_id=customer_id,
        # A partner's list holds only the cases shared with it (docs/partners.md).
        shared_with=(principal.partner or "") if principal.role is Role.PARTNER else None,
        hidden_queues=access.hidden(principal),
    )
    rows = await anyio.to_thread.run_sync(hub.views.complaints.cases, where, limit, offset)
    policy = hub.complaints.config.policy
    return schemas.ComplaintList(items=[schemas.complaint_from_row(r, policy) for r in rows])


@router.post(
    "/complaints",
    summary="Open a case for a customer (optionally about one interaction)",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The interaction already has this case"}, **ERRORS},
)
async def open_complaint(
    hub: HubDep,
    actor: ActorDep,
    body: schemas.OpenComplaint,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.Complaint:
    def run() -> schemas.Complaint:
        history = hub.store.stream(body.customer_id)
        if not history or not isinstance(history[0], CustomerRegistered):
            raise CustomerNotFound(str(body.customer_id))
        channel = None
        if body.interaction_id is not None:
            stream = hub.store.stream(body.interaction_id)
            if not stream or stream[0].customer_id != body.customer_id:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"interaction {body.interaction_id} is not one of the customer's",
                )
            complaint_id = complaint_id_for(stream[0].event_id)
            channel = getattr(stream[0], "channel", None)
        else:
            complaint_id = command_id(body.customer_id, "complaint", idempotency_key)
        now = now_of(hub)
        config = hub.complaints.config
        queue = body.queue or config.default_queue
        # Another team's queue takes its cases from that team (or by escalation).
        hub.complaints.access.check_queue(actor, CaseAction.OPEN, queue)
        outcome = hub.complaints.desk.open(
            NewCase(
                complaint_id=complaint_id,
                customer_id=body.customer_id,
                queue=queue,
                priority=body.priority,
                opened_by=actor.name,
                channel=channel,
                interaction_id=body.interaction_id,
                category=body.category,
                product=body.product,
                language=body.language,
                subject=body.subject,
            ),
            Stamp(event_id=uuid4(), occurred_at=now, recorded_at=now),
        )
        if not outcome.created:
            # The case that exists may have moved on to another team's queue since.
            hub.complaints.access.check_read(actor, outcome.state.queue)
            response.status_code = status.HTTP_200_OK
        return shown(hub, outcome)

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/complaints/{complaint_id}", summary="One case with its interactions", responses=ERRORS
)
async def get_complaint(
    hub: HubDep, principal: PrincipalDep, complaint_id: UUID
) -> schemas.ComplaintDetail:
    def run() -> schemas.ComplaintDetail:
        row = hub.views.complaints.case(complaint_id)
        history = hub.store.stream(complaint_id)
        if row is None or not history:
            raise CaseNotFound(f"no complaint {complaint_id}")
        hub.complaints.access.check_read(principal, row["queue"])
        case = schemas.complaint_from_row(row, hub.complaints.config.policy)
        return schemas.ComplaintDetail(
            **case.model_dump(),
            subject=getattr(history[0], "subject", ""),
            interactions=[
                schemas.ComplaintInteraction.model_validate(r)
                for r in hub.views.complaints.interactions(complaint_id)
            ],
        )

    return await anyio.to_thread.run_sync(run)


@router.post("/complaints/{complaint_id}/claim", summary="Take the case", responses=ERRORS)
async def claim(hub: HubDep, actor: ActorDep, complaint_id: UUID) -> schemas.Complaint:
    return await command(
        hub,
        actor,
        CaseAction.CLAIM,
        complaint_id,
        lambda s, st: complaints.claim(s, st, agent=actor.name),
    )


@router.post(
    "/complaints/{complaint_id}/assign", summary="Give the case to an agent", responses=ERRORS
)
async def assign(
    hub: HubDep, actor: SupervisorDep, complaint_id: UUID, body: schemas.Assign
) -> schemas.Complaint:
    decision = hub.complaints.access.assigning(
        actor,
        body.assignee,
        lambda s, st: complaints.assign(s, st, assignee=body.assignee, by=actor.name),
    )

    def run() -> schemas.Complaint:
        return shown(hub, hub.complaints.desk.decide(complaint_id, decision))

    return await anyio.to_thread.run_sync(run)


@router.post(
    "/complaints/{complaint_id}/categorise",
    summary="Set the reason category and product",
    responses=ERRORS,
)
async def categorise(
    hub: HubDep, actor: ActorDep, complaint_id: UUID, body: schemas.Categorise
) -> schemas.Complaint:
    return await command(
        hub,
        actor,
        CaseAction.CATEGORISE,
        complaint_id,
        lambda s, st: complaints.categorise(
            s, st, category=body.category, product=body.product, by=actor.name
        ),
    )


@router.post(
    "/complaints/{complaint_id}/prioritise", summary="Change the priority", responses=ERRORS
)
async def prioritise(
    hub: HubDep, actor: ActorDep, complaint_id: UUID, body: schemas.Prioritise
) -> schemas.Complaint:
    return await command(
        hub,
        actor,
        CaseAction.PRIORITISE,
        complaint_id,
        lambda s, st: complaints.prioritise(s, st, priority=body.priority, by=actor.name),
    )


@router.post(
    "/complaints/{complaint_id}/escalate",
    summary="Move the case to another queue (unassigned there)",
    responses=ERRORS,
)
async def escalate(
    hub: HubDep,
    actor: ActorDep,
    complaint_id: UUID,
    body: schemas.Escalate | None = None,
) -> schemas.Complaint:
    body = body or schemas.Escalate()
    to_queue = body.to_queue or hub.complaints.config.escalation_queue
    return await command(
        hub,
        actor,
        CaseAction.ESCALATE,
        complaint_id,
        lambda s, st: complaints.escalate(
            s, st, to_queue=to_queue, reason=body.reason, by=actor.name
        ),
    )


@router.post("/complaints/{complaint_id}/resolve", summary="Resolve the case", responses=ERRORS)
async def resolve(
    hub: HubDep,
    actor: ActorDep,
    complaint_id: UUID,
    body: schemas.Resolve | None = None,
) -> schemas.Complaint:
    resolution = body.resolution if body else ""
    return await command(
        hub,
        actor,
        CaseAction.RESOLVE,
        complaint_id,
        lambda s, st: complaints.resolve(s, st, resolution=resolution, by=actor.name),
    )


@router.post(
    "/complaints/{complaint_id}/reopen", summary="Reopen a resolved case", responses=ERRORS
)
async def reopen(hub: HubDep, actor: ActorDep, complaint_id: UUID) -> schemas.Complaint:
    return await command(
        hub,
        actor,
        CaseAction.REOPEN,
        complaint_id,
        lambda s, st: complaints.reopen(s, st, by=actor.name),
    )


@router.post(
    "/complaints/{complaint_id}/close",
    summary="Close a resolved case for good",
    responses=ERRORS,
)
async def close(hub: HubDep, actor: ActorDep, complaint_id: UUID) -> schemas.Complaint:
    return await command(
        hub,
        actor,
        CaseAction.CLOSE,
        complaint_id,
        lambda s, st: complaints.close(s, st, by=actor.name),
    )


@router.get("/queues", summary="Active cases per queue and priority")
async def queues(hub: HubDep, principal: PrincipalDep) -> schemas.QueueSummary:
    hidden = hub.complaints.access.hidden(principal)  # another team's queues
    rows = await anyio.to_thread.run_sync(hub.views.complaints.queue_summary, hidden)
    return schemas.QueueSummary(
        items=[
            schemas.QueueLine.model_validate({**r, "oldest_opened_at": r["oldest"]}) for r in rows
        ]
    )


@router.post(
    "/queues/{queue}/claim-next",
    summary="Claim the queue's next case (highest priority, oldest first)",
    responses={404: {"description": "The queue has no unclaimed case"}},
)
async def claim_next(hub: HubDep, actor: ActorDep, queue: str) -> schemas.Complaint:
    def run() -> schemas.Complaint:
        hub.complaints.access.check_queue(actor, CaseAction.CLAIM, queue)
        outcome = hub.complaints.desk.claim_next(queue, actor.name)
        if outcome is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"queue {queue} has no unclaimed case")
        return shown(hub, outcome)

    return await anyio.to_thread.run_sync(run)
