"""Appointments: schedule, reschedule and cancel calls, visits and meetings;
list them; an agent's calendar as an iCalendar feed (RFC 5545).

Reminders are not sent here: the reminder follower sends each at its lead
time through the outbound pipeline (services/app/operative/reminders.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response, status

from domain.appointments import AppointmentNotFound, NewAppointment
from services.app.operative.calendar_feed import calendar_feed
from services.entry.api import operative_schemas as schemas
from services.entry.api.bounds import SQL_INT_MAX
from services.entry.api.command_ids import command_id
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled_row
from services.infra.auth import Role
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["appointments"])

NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "No such appointment"}}
CHANGE_ERRORS: dict[int | str, dict[str, str]] = {
    **NOT_FOUND,
    409: {"description": "The appointment was cancelled"},
}
AGENT = Annotated[str, Query(min_length=1, max_length=200, pattern=schemas.NAME)]


def shown(hub: Hub, appointment_id: UUID, notification_id: int) -> schemas.Appointment:
    try:
        row = settled_row(hub, notification_id, lambda: hub.views.appointments.get(appointment_id))
    finally:  # once the views hold the write, even when the answer is 503
        if notification_id and hub.built("reminders"):
            hub.reminders.wake()  # a reminder may be due at once (a short lead)
    return schemas.appointment_from_row(row)


@router.post(
    "/appointments",
    summary="Schedule a call, visit or meeting with a customer (optionally with a reminder)",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Scheduled before under this Idempotency-Key"},
        404: {"description": "No such customer"},
        409: {"description": "Not possible as asked; `detail` says why"},
    },
)
async def schedule_appointment(
    hub: HubDep,
    actor: ActorDep,
    body: schemas.ScheduleAppointment,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.Appointment:
    settings = hub.settings
    appointment_id = command_id(body.customer_id, "appointment", idempotency_key)
    lead = body.reminder_lead_minutes
    new = NewAppointment(
        appointment_id=appointment_id,
        customer_id=body.customer_id,
        agent=body.agent,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        timezone=body.timezone or settings.appointment_timezone,
        kind=body.kind,
        location=body.location,
        reminder_channel=None if body.reminder == "none" else body.reminder,
        reminder_lead_minutes=settings.appointment_reminder_lead_minutes if lead is None else lead,
    )

    def run() -> schemas.Appointment:
        _, notification = hub.appointments.schedule(new, by=actor.name)
        if not notification:
            response.status_code = status.HTTP_200_OK
        return shown(hub, appointment_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.get("/appointments", summary="Scheduled appointments by agent or customer, soonest first")
async def list_appointments(
    hub: HubDep,
    principal: PrincipalDep,
    agent: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    customer_id: UUID | None = None,
    include_cancelled: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> list[schemas.Appointment]:
    def run() -> list[dict[str, Any]]:
        # A partner's list holds only the appointments at its sites (docs/partners.md).
        locations = None
        if principal.role is Role.PARTNER:
            found = hub.partners.get(principal.partner or "")
            locations = list(found.sites) if found else []
        return hub.views.appointments.listing(
            agent=agent,
            customer_id=customer_id,
            include_cancelled=include_cancelled,
            limit=limit,
            offset=offset,
            locations=locations,
        )

    rows = await anyio.to_thread.run_sync(run)
    return [schemas.appointment_from_row(r) for r in rows]


@router.get(
    "/appointments.ics",
    summary="An agent's calendar as an iCalendar feed (RFC 5545); cancelled ones left out",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "The calendar"}},
)
async def agent_calendar(hub: HubDep, _: PrincipalDep, agent: AGENT) -> Response:
    def run() -> bytes:
        rows = hub.views.appointments.of_agent(agent)
        names: dict[str, str] = {}
        for customer_id in {r["customer_id"] for r in rows}:
            found = hub.views.customer360.customer(UUID(customer_id))
            if found is not None:
                names[customer_id] = found["display_name"]
        return calendar_feed(agent, rows, names)

    data = await anyio.to_thread.run_sync(run)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="appointments.ics"'},
    )


@router.get("/appointments/{appointment_id}", summary="One appointment", responses=NOT_FOUND)
async def get_appointment(
    hub: HubDep, _: PrincipalDep, appointment_id: UUID
) -> schemas.Appointment:
    row = await anyio.to_thread.run_sync(hub.views.appointments.get, appointment_id)
    if row is None:
        raise AppointmentNotFound(f"no appointment {appointment_id}")
    return schemas.appointment_from_row(row)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    summary="Move an appointment (its reminder is owed again for the new time)",
    responses=CHANGE_ERRORS,
)
async def reschedule_appointment(
    hub: HubDep, actor: ActorDep, appointment_id: UUID, body: schemas.Reschedule
) -> schemas.Appointment:
    def run() -> schemas.Appointment:
        _, notification = hub.appointments.reschedule(
            appointment_id, body.starts_at, body.ends_at, by=actor.name
        )
        return shown(hub, appointment_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.post(
    "/appointments/{appointment_id}/cancel",
    summary="Cancel an appointment (it leaves the calendar; no reminder goes out)",
    responses=NOT_FOUND,
)
async def cancel_appointment(
    hub: HubDep, actor: ActorDep, appointment_id: UUID, body: schemas.Cancel
) -> schemas.Appointment:
    def run() -> schemas.Appointment:
        _, notification = hub.appointments.cancel(appointment_id, by=actor.name, reason=body.reason)
        return shown(hub, appointment_id, notification)

    return await anyio.to_thread.run_sync(run)
