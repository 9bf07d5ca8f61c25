"""Twilio messaging webhooks: verify, validate, translate, publish, answer.

Nothing else happens here (routes only translate). The answer is 200 only once the
event is durable; 403 for a bad signature, 422 for a malformed payload (both
record nothing), 503 when the event cannot be made durable now, so Twilio
retries instead of the message being lost.
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import ValidationError

from adapters.sms.translate import (
    TwilioInboundMessage,
    TwilioMessageStatus,
    inbound_message_event,
    status_event,
)
from adapters.sms.verify import signed_url, twilio_signature_valid
from domain.addresses import InvalidAddress
from domain.messages import UnknownInteraction
from events import Event
from services.entry.api.deps import HubDep
from services.infra.bus import BusUnavailable
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Starlette's limit for a form; Twilio sends a few dozen fields at most.
MAX_FIELDS = 1000


def parse_form(body: bytes) -> dict[str, str]:
    """The urlencoded form as Starlette's form parser reads it (bytes as latin-1,
    then percent-decoding as UTF-8; the last of repeated fields wins), without
    its per-chunk callback machinery, which cost more than the signature check."""
    try:
        return dict(
            parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        )
    except ValueError as exc:  # too many fields
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None


async def verified_form(request: Request, hub: Hub) -> dict[str, str]:
    """The posted form, if Twilio's signature over it and our public URL is valid."""
    token = hub.settings.twilio_auth_token
    if not token:
        # Unverifiable, but not the provider's fault: 503 so Twilio retries once
        # the operator has configured the token. Nothing is lost.
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Twilio webhooks are not configured: set CONTACTHUB_TWILIO_AUTH_TOKEN",
        )
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "Twilio webhooks are application/x-www-form-urlencoded",
        )
    form = parse_form(await request.body())
    # The matched route's path and the raw query: what request.url would give
    # for them, without building and re-parsing a whole URL per request.
    query = request.scope.get("query_string", b"").decode()
    url = signed_url(hub.settings.public_url, request.scope["path"], query)
    if not twilio_signature_valid(token, url, form, request.headers.get("x-twilio-signature")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid or missing X-Twilio-Signature")
    account = hub.settings.twilio_account_sid
    if account and form.get("AccountSid") not in (None, account):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "AccountSid is not this hub's account")
    return form


def unprocessable(exc: ValidationError | InvalidAddress) -> HTTPException:
    if isinstance(exc, ValidationError):
        detail: object = [
            {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
    else:
        detail = str(exc)
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def publish(request: Request, hub: Hub, route: str, event: Event) -> Response:
    metrics = request.app.state.metrics
    try:
        await hub.bus.publish(event)
    except BusUnavailable as exc:
        metrics.webhook_outcome(route, "unavailable").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"cannot record now, retry: {exc}"
        ) from exc
    metrics.webhook_outcome(route, "recorded").inc()
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post(
    "/sms",
    summary="Inbound SMS or WhatsApp message (Twilio messaging webhook)",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}, "description": "Empty TwiML <Response/>"}},
)
async def inbound_sms(request: Request) -> Response:
    # The hub straight from the app, not through Depends: services/entry/api/fast_lane.py
    # calls this endpoint with the Request alone.
    started = time.perf_counter()
    hub: Hub = request.app.state.hub
    form = await verified_form(request, hub)
    try:
        message = TwilioInboundMessage.model_validate(form)
        event = inbound_message_event(
            message,
            form,
            received_at=now_of(hub),
            address_secret=hub.address_secret,
            default_region=hub.settings.default_region,
        )
    except (ValidationError, InvalidAddress) as exc:
        request.app.state.metrics.webhook_outcome("sms", "rejected").inc()
        raise unprocessable(exc) from exc
    response = await publish(request, hub, "sms", event)
    request.app.state.metrics.webhook_time("sms").observe(time.perf_counter() - started)
    return response


@router.post(
    "/sms/status",
    summary="Status callback for a message the hub sent",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}, "description": "Empty TwiML <Response/>"}},
)
async def sms_status(
    request: Request,
    hub: HubDep,
    interaction: Annotated[
        str | None, Query(description="Set by the hub in the StatusCallback URL.")
    ] = None,
) -> Response:
    form = await verified_form(request, hub)
    try:
        if interaction is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "the status callback URL lacks the `interaction` parameter the hub sets",
            )
        try:
            interaction_id = UUID(interaction)
        except ValueError:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "`interaction` is not a UUID"
            ) from None
        event = status_event(
            TwilioMessageStatus.model_validate(form),
            interaction_id=interaction_id,
            received_at=now_of(hub),
        )
    except ValidationError as exc:
        raise unprocessable(exc) from exc
    try:
        return await publish(request, hub, "sms-status", event)
    except UnknownInteraction as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


# Webhooks the gateway receives thousands of per second: served by the fast lane.
FAST_LANE = {("POST", router.prefix + "/sms"): inbound_sms}
