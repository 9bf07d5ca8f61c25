"""The partner gate: the one check, at the route edge, of every partner call.

`get_principal` (deps.py) calls it for every token of role `partner`. It lets
through only the routes of domain/partner_access.py (403 for any other) and,
on those, only the objects shared with the partner: any other case or
appointment answers 404 with the same body as one that does not exist, so a
partner cannot tell the two apart. Every partner call, let through or refused,
is written to the access log (services/infra/access_log.py) with the route.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import HTTPException, Request, status

from domain.appointments import AppointmentNotFound
from domain.complaints import CaseNotFound
from domain.partner_access import may_call, sees_appointment, sees_case
from services.infra.auth import Principal
from services.wiring.hub import Hub


def check_partner(hub: Hub, request: Request, principal: Principal) -> None:
    """Raises (403, or 404 for an object not shared) unless the partner may make the call."""
    route = getattr(request.scope.get("route"), "path", request.url.path)
    what = f"{request.method} {route}"
    customer_id: UUID | None = None
    try:
        if principal.partner is None or not may_call(request.method, route):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "partners may not do this")
        customer_id = _shared_object(hub, request, principal.partner)
    except Exception:
        hub.access_log.record(
            user=principal.name, role=principal.role.value, what=f"refused {what}", customer_id=None
        )
        raise
    hub.access_log.record(
        user=principal.name, role=principal.role.value, what=what, customer_id=customer_id
    )


def _shared_object(hub: Hub, request: Request, partner: str) -> UUID | None:
    """The customer of the case or appointment the path names, if it is shared
    with the partner; CaseNotFound or AppointmentNotFound if it is not."""
    params = request.path_params
    complaint_id = _uuid(params.get("complaint_id"))
    if complaint_id is not None:
        row = hub.views.complaints.case(complaint_id)
        if row is None or not sees_case(partner, hub.views.complaints.partners_of(complaint_id)):
            raise CaseNotFound(f"no complaint {complaint_id}")
        return UUID(row["customer_id"])
    appointment_id = _uuid(params.get("appointment_id"))
    if appointment_id is not None:
        found = hub.views.appointments.get(appointment_id)
        organisation = hub.partners.get(partner)
        sites = organisation.sites if organisation else ()
        if found is None or not sees_appointment(sites, found["location"]):
            raise AppointmentNotFound(f"no appointment {appointment_id}")
        return UUID(found["customer_id"])
    return None


def _uuid(value: object) -> UUID | None:
    """A path id, or None if it is not one (the route then answers 422 as for anyone)."""
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
