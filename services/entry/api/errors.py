"""Why a use case refused, as HTTP: each error class mapped to its status once.

Routes parse, call a use case and return; what the use case raises is answered
here, in FastAPI's usual body (`{"detail": "..."}`), so every route family says
"no customer ..." with the same 404 and no route catches errors one by one.
The fast lane (services/entry/api/fast_lane.py) answers with the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.access import AccessDenied
from domain.addresses import InvalidAddress
from domain.appointments import AppointmentNotFound, IllegalAppointment, InvalidAppointmentTimes
from domain.calls import UnknownCall
from domain.campaigns import CampaignAlreadyStarted, CampaignNotFound, InvalidCampaign
from domain.complaints import CaseNotFound, IllegalTransition
from domain.knowledge import ArticleNotFound, StaleRevision
from domain.letters import UnknownLetter
from domain.messages import UnknownInteraction
from domain.opportunities import IllegalStageChange, OpportunityNotFound
from domain.orders import OrderRefused, UnknownOrder
from domain.segments import InvalidFilter
from services.app.analytics.segments import UnknownSegment
from services.app.complaints.canned_responses import UnknownTemplate
from services.app.complaints.desk import CommandConflict
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.operative.streams import StreamConflict
from services.infra.bus import BusUnavailable
from services.infra.eventstore.keys import KeyErased
from services.infra.eventstore.store import IntegrityError
from services.infra.partner_deliveries import DeadLetterNotFound
from services.infra.partners import PartnerExists, PartnerNotFound
from services.infra.segments import SegmentNameTaken

# How long a provider should wait before retrying an event we could not record.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class Answer:
    status: int
    detail: Callable[[Exception], str] = str
    headers: dict[str, str] = field(default_factory=dict)


ANSWERS: dict[type[Exception], Answer] = {
    # The thing the request names does not exist.
    CustomerNotFound: Answer(status.HTTP_404_NOT_FOUND, lambda exc: f"no customer {exc}"),
    CaseNotFound: Answer(status.HTTP_404_NOT_FOUND),
    UnknownTemplate: Answer(status.HTTP_404_NOT_FOUND),
    UnknownInteraction: Answer(status.HTTP_404_NOT_FOUND),
    UnknownCall: Answer(status.HTTP_404_NOT_FOUND),
    UnknownLetter: Answer(status.HTTP_404_NOT_FOUND),
    OpportunityNotFound: Answer(status.HTTP_404_NOT_FOUND),
    AppointmentNotFound: Answer(status.HTTP_404_NOT_FOUND),
    ArticleNotFound: Answer(status.HTTP_404_NOT_FOUND),
    # The caller's role or team may not do this to this case (domain/access.py).
    AccessDenied: Answer(status.HTTP_403_FORBIDDEN),
    PartnerNotFound: Answer(status.HTTP_404_NOT_FOUND),
    PartnerExists: Answer(status.HTTP_409_CONFLICT),
    DeadLetterNotFound: Answer(status.HTTP_404_NOT_FOUND),
    # A malformed address in the request (e.g. `+49 0000`): not a refusal.
    InvalidAddress: Answer(status.HTTP_422_UNPROCESSABLE_CONTENT),
    # Times that make no appointment (an end before the start, an unknown zone).
    InvalidAppointmentTimes: Answer(status.HTTP_422_UNPROCESSABLE_CONTENT),
    UnknownOrder: Answer(status.HTTP_404_NOT_FOUND, lambda exc: f"no order {exc}"),
    # An order or return that contradicts itself or its order (two lines of
    # one sku, more returned than kept): malformed, the detail says where.
    OrderRefused: Answer(status.HTTP_422_UNPROCESSABLE_CONTENT),
    InvalidFilter: Answer(status.HTTP_422_UNPROCESSABLE_CONTENT),
    UnknownSegment: Answer(status.HTTP_404_NOT_FOUND, lambda exc: f"no segment {exc}"),
    SegmentNameTaken: Answer(status.HTTP_409_CONFLICT),
    CampaignNotFound: Answer(status.HTTP_404_NOT_FOUND),
    # An unknown placeholder or segment, a missing subject: the detail says which.
    InvalidCampaign: Answer(status.HTTP_422_UNPROCESSABLE_CONTENT),
    CampaignAlreadyStarted: Answer(status.HTTP_409_CONFLICT),
    # The command is not possible as asked (opted out, quiet hours, no address,
    # the case's state); the detail says why.
    CommandRefused: Answer(status.HTTP_409_CONFLICT),
    IllegalTransition: Answer(status.HTTP_409_CONFLICT),
    CommandConflict: Answer(status.HTTP_409_CONFLICT),
    IllegalStageChange: Answer(status.HTTP_409_CONFLICT),
    IllegalAppointment: Answer(status.HTTP_409_CONFLICT),
    StreamConflict: Answer(status.HTTP_409_CONFLICT),
    StaleRevision: Answer(status.HTTP_409_CONFLICT),
    # A command that would write personal data for an erased customer (their key
    # is gone); the use cases refuse first where they can say more.
    KeyErased: Answer(status.HTTP_409_CONFLICT, lambda exc: f"customer {exc} was erased"),
    # Another writer appended to the customer's stream first: nothing was recorded.
    IntegrityError: Answer(
        status.HTTP_409_CONFLICT, lambda _: "the customer changed meanwhile; retry"
    ),
    # Not durable now: the provider retries, so nothing acknowledged is lost.
    BusUnavailable: Answer(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        lambda exc: f"cannot record now, retry: {exc}",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    ),
}


def answer_for(exc: Exception) -> Answer | None:
    """The answer for the most specific class of `exc` in the table, if any."""
    for cls in type(exc).__mro__:
        found = ANSWERS.get(cls)
        if found is not None:
            return found
    return None


def error_response(exc: Exception) -> JSONResponse | None:
    answer = answer_for(exc)
    if answer is None:
        return None
    return JSONResponse(
        {"detail": answer.detail(exc)}, status_code=answer.status, headers=answer.headers or None
    )


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    response = error_response(exc)
    if response is None:  # only registered classes reach here
        raise exc
    return response


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each invalid field (`loc`, `msg`, `type`: the documented
    FieldError), without FastAPI's `input` and `ctx`: they echo what was sent,
    and a body sent to the wrong route may carry a password or a token."""
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error["type"]}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def add_error_handlers(app: FastAPI) -> None:
    for cls in ANSWERS:
        app.add_exception_handler(cls, _handle)
    app.add_exception_handler(RequestValidationError, _invalid)
