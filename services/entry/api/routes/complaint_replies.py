"""Canned responses (templates per language) and answering a case's customer."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Header, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import complaints
from domain.access import CaseAction
from domain.complaints import CaseNotFound, ComplaintState, Stamp
from services.app.complaints.canned_responses import PLACEHOLDERS
from services.app.errors import CustomerNotFound
from services.entry.api.complaint_schemas import Complaint
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.routes.complaints import shown
from services.infra.auth import Principal
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/api/v1", tags=["complaints"])


class CannedResponseOut(BaseModel):
    key: str
    language: str
    title: str
    text: str = Field(description="Jinja2 template text.")
    placeholders: list[str]


class CannedResponseList(BaseModel):
    items: list[CannedResponseOut]
    placeholders: dict[str, str] = Field(description="Every placeholder a template may use.")


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    complaint_id: UUID | None = Field(default=None, description="Fills case and customer fields.")
    customer_id: UUID | None = None
    language: str | None = Field(
        default=None, pattern=r"^[a-z]{2}$", description="Default: the case's language."
    )


class Rendered(BaseModel):
    key: str
    language: str
    text: str


class Reply(BaseModel):
    # The validator's "exactly one of body and template", in the JSON schema too:
    # `{}` was allowed by the document and refused by the route.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "properties": {"body": {"type": "string"}, "template": {"type": "null"}},
                    "required": ["body"],
                },
                {
                    "properties": {"template": {"type": "string"}, "body": {"type": "null"}},
                    "required": ["template"],
                },
            ]
        },
    )
    channel: Literal["sms"] = Field(default="sms", description="Only `sms` so far.")
    body: str | None = Field(default=None, min_length=1, max_length=1600)
    template: str | None = Field(default=None, description="A canned response's key.")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    await_customer: bool = Field(
        default=False, description="Wait for the customer: pauses the resolution clock."
    )

    @model_validator(mode="after")
    def _body_or_template(self) -> Reply:
        if (self.body is None) == (self.template is None):
            raise ValueError("give exactly one of `body` and `template`")
        return self


class ReplySent(BaseModel):
    complaint: Complaint
    interaction_id: UUID
    status: str


def placeholder_values(
    hub: Hub, who: Principal, complaint_id: UUID | None, customer_id: UUID | None
) -> tuple[dict[str, Any], str | None]:
    values: dict[str, Any] = {"agent_name": who.name}
    language = None
    if complaint_id is not None:
        row = hub.views.complaints.case(complaint_id)
        if row is None:
            raise CaseNotFound(f"no complaint {complaint_id}")
        hub.complaints.access.check_read(who, row["queue"])  # its fields are the case's
        values.update({k: row[k] for k in ("case_number", "product", "category", "queue")})
        customer_id = customer_id or UUID(row["customer_id"])
        language = row["language"]
    if customer_id is not None:
        customer = hub.views.customer360.customer(customer_id)
        if customer is None:
            raise CustomerNotFound(str(customer_id))
        values["customer_name"] = customer["display_name"]
        language = language or customer["language"]
    return values, language


def render(
    hub: Hub,
    key: str,
    who: Principal,
    language: str | None,
    complaint_id: UUID | None,
    customer_id: UUID | None,
) -> Rendered:
    values, known = placeholder_values(hub, who, complaint_id, customer_id)
    canned = hub.complaints.canned
    template = canned.pick(key, language or known)
    return Rendered(key=key, language=template.language, text=canned.render(template, values))


@router.get("/canned-responses", summary="Canned responses, optionally of one language")
async def list_canned(
    hub: HubDep,
    _: PrincipalDep,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
) -> CannedResponseList:
    return CannedResponseList(
        items=[
            CannedResponseOut.model_validate(t.__dict__ | {"placeholders": list(t.placeholders)})
            for t in hub.complaints.canned.all(language)
        ],
        placeholders=PLACEHOLDERS,
    )


@router.post(
    "/canned-responses/{key}/render",
    summary="Render a canned response for a case or customer",
    responses={
        403: {"description": "The case is in another team's queue"},
        404: {"description": "No such template, case or customer"},
    },
)
async def render_canned(
    hub: HubDep, actor: PrincipalDep, key: str, body: RenderRequest
) -> Rendered:
    return await anyio.to_thread.run_sync(
        render, hub, key, actor, body.language, body.complaint_id, body.customer_id
    )


@router.post(
    "/complaints/{complaint_id}/reply",
    summary="Answer the case's customer (text or canned response); the first answer "
    "ends the first-response clock",
    responses={404: {"description": "No such complaint"}, 409: {"description": "Refused"}},
)
async def reply(
    hub: HubDep,
    actor: ActorDep,
    complaint_id: UUID,
    body: Reply,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReplySent:
    desk = hub.complaints.desk
    access = hub.complaints.access

    def run() -> ReplySent:
        case = desk.case(complaint_id)
        if case is None:
            raise CaseNotFound(f"no complaint {complaint_id}")
        # Before anything reaches the customer; the recording checks again on the fresh case.
        access.check_queue(actor, CaseAction.REPLY, case.queue)
        now = now_of(hub)
        check = Stamp(event_id=complaint_id, occurred_at=now, recorded_at=now)
        complaints.agent_replied(
            case, check, agent=actor.name, channel=body.channel, interaction_id=None
        )
        text = body.body
        if text is None:
            assert body.template is not None
            text = render(hub, body.template, actor, body.language, complaint_id, None).text
        # run() is in a worker thread; the send is async: hop back to the event loop.
        sent = anyio.from_thread.run(
            partial(
                hub.messaging.send_sms,
                case.customer_id,
                text,
                agent=actor.name,
                idempotency_key=f"complaint-reply/{complaint_id}/{idempotency_key}"
                if idempotency_key
                else None,
            )
        )
        if sent.error:
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"not sent: {sent.error}")

        def record(state: ComplaintState | None, stamp: Stamp) -> list[Any]:
            return complaints.agent_replied(
                state,
                stamp,
                agent=actor.name,
                channel=body.channel,
                interaction_id=sent.interaction_id,
                await_customer=body.await_customer,
            )

        outcome = desk.decide(complaint_id, access.guarded(actor, CaseAction.REPLY, record))
        return ReplySent(
            complaint=shown(hub, outcome), interaction_id=sent.interaction_id, status=sent.status
        )

    return await anyio.to_thread.run_sync(run)
