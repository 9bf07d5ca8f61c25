"""The visit briefing (Besuchsvorbereitung): what an agent reads before a visit
or a call, from the read models: the customer's profile with their last
contacts, whether they are a prospect, open cases, open opportunities and
upcoming appointments."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from events import ProspectMarked
from projections.complaints import CaseFilter
from services.app.errors import CustomerNotFound
from services.entry.api import operative_schemas as schemas
from services.entry.api.briefing_page import briefing_html
from services.entry.api.complaint_schemas import complaint_from_row
from services.entry.api.deps import HubDep, PrincipalDep
from services.entry.api.routes.customers import load_360
from services.infra.auth import Principal
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/api/v1", tags=["customers"])


def briefing(hub: Hub, principal: Principal, customer_id: UUID, contacts: int) -> schemas.Briefing:
    # A briefing shows the 360: the read is logged like one (who looked at what).
    profile = load_360(hub, principal, customer_id, contacts)
    if profile is None:
        raise CustomerNotFound(str(customer_id))
    now = now_of(hub)
    views = hub.views
    policy = hub.complaints.config.policy
    prospect = next(
        (e.source for e in hub.store.stream(customer_id) if isinstance(e, ProspectMarked)), None
    )
    return schemas.Briefing(
        generated_at=now.isoformat(),
        profile=profile,
        prospect_source=prospect,
        open_cases=[
            complaint_from_row(r, policy)
            for r in views.complaints.cases(
                CaseFilter(
                    customer_id=customer_id,
                    hidden_queues=hub.complaints.access.hidden(principal),  # another team's
                ),
                limit=50,
            )
        ],
        open_opportunities=[
            schemas.opportunity_from_row(r)
            for r in views.opportunities.listing(customer_id=customer_id, open_only=True)
        ],
        upcoming_appointments=[
            schemas.appointment_from_row(r)
            for r in views.appointments.upcoming_of_customer(customer_id, now)
        ],
    )


@router.get(
    "/customers/{customer_id}/briefing",
    summary="Visit briefing: profile, last contacts, open cases, opportunities, appointments",
    responses={404: {"description": "No such customer"}},
)
async def customer_briefing(
    hub: HubDep,
    principal: PrincipalDep,
    customer_id: UUID,
    contacts: Annotated[int, Query(ge=1, le=100, description="Last contacts included")] = 10,
) -> schemas.Briefing:
    return await anyio.to_thread.run_sync(briefing, hub, principal, customer_id, contacts)


@router.get(
    "/customers/{customer_id}/briefing.html",
    summary="The visit briefing as a printable HTML page",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "The page"},
        404: {"description": "No such customer"},
    },
)
async def customer_briefing_page(
    hub: HubDep,
    principal: PrincipalDep,
    customer_id: UUID,
    contacts: Annotated[int, Query(ge=1, le=100, description="Last contacts included")] = 10,
) -> HTMLResponse:
    found = await anyio.to_thread.run_sync(briefing, hub, principal, customer_id, contacts)
    return HTMLResponse(briefing_html(found.model_dump(mode="json")))
