"""Twilio messaging webhooks: verify, validate, translate, publish, answer.

Nothing else happens here. The answer is 200 only once the event is durable;
403 for a bad signature, 422 for a malformed payload, 400 for a form that is
not UTF-8 (all record nothing), 503 when the event cannot be made durable now,
so Twilio retries instead of the message being lost.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from uuid import UUID
from xml.sax.saxutils import escape as xml_escape

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
from domain.consent_keywords import KeywordConsent, keyword_message
from events import Event
from services.entry.api.deps import HubDep
from services.entry.api.form_text import decode_field, urlencoded_fields
from services.infra.bus import BusUnavailable
from services.wiring.hub import Hub, now_of

# What every Twilio webhook may answer besides its 200; the error body is the
# API's one error model (services/entry/api/openapi_errors.py).
TWILIO_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Too many form fields"},
    403: {"description": "Invalid or missing X-Twilio-Signature, or another account"},
    404: {"description": "A callback for an interaction the hub does not know"},
    415: {"description": "Not application/x-www-form-urlencoded"},
    422: {"description": "A malformed payload; nothing is recorded"},
    503: {"description": "Not configured, or cannot record now: Twilio retries"},
}

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"], responses=TWILIO_ERRORS)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# The confirmation Twilio sends back to a STOP or START (a <Message> in the answer).
OPTED_OUT_REPLY = (
    "Sie erhalten keine Nachrichten mehr von uns. Mit START melden Sie sich wieder an. / "
    "You are unsubscribed. Reply START to resubscribe."
)
OPTED_IN_REPLY = (
    "Sie erhalten wieder Nachrichten von uns. Mit STOP melden Sie sich ab. / "
    "You are subscribed again. Reply STOP to unsubscribe."
)


def keyword_twiml(keyword: KeywordConsent) -> str:
    text = OPTED_IN_REPLY if keyword.granted else OPTED_OUT_REPLY
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{xml_escape(text)}</Message></Response>"
    )


# Starlette's limit for a form; Twilio sends a few dozen fields at most.
MAX_FIELDS = 1000


def parse_form(body: bytes) -> dict[str, str]:
    """The urlencoded form, each field's bytes read as UTF-8 strictly: a form that
    is not UTF-8 is refused (400, naming the field), never stored garbled. The
    last of repeated fields wins. Parsed here rather than by Starlette, whose
    per-chunk callback machinery cost more than the signature check."""
    try:
        pairs = urlencoded_fields(body, max_fields=MAX_FIELDS)
        return {name: decode_field(name, raw) for name, raw in pairs}
    except ValueError as exc:  # not UTF-8, or too many fields
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
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        # Refused before the body is read: without a signature nothing can verify it.
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid or missing X-Twilio-Signature")
    # The signature covers the URL and the sorted parameters, so the form must be
    # parsed to check it; the body limit (body_limit.py) has bounded it already.
    form = parse_form(await request.body())
    # The matched route's path and the raw query: what request.url would give
    # for them, without building and re-parsing a whole URL per request.
    query = request.scope.get("query_string", b"").decode()
    url = signed_url(hub.settings.public_url, request.scope["path"], query)
    if not twilio_signature_valid(token, url, form, signature):
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


async def publish(
    request: Request, hub: Hub, route: str, event: Event, answer: str = EMPTY_TWIML
) -> Response:
    """Publishes and counts the outcome; BusUnavailable goes on to the app's 503
    (services/entry/api/errors.py), so the provider retries. `answer` is the TwiML
    sent back once the event is durable."""
    metrics = request.app.state.metrics
    try:
        await hub.bus.publish(event)
    except BusUnavailable:
        metrics.webhook_outcome(route, "unavailable").inc()
        raise
    metrics.webhook_outcome(route, "recorded").inc()
    return Response(answer, media_type="text/xml")


@router.post(
    "/sms",
    summary="Inbound SMS or WhatsApp message (Twilio messaging webhook)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/xml": {}},
            "description": "Empty TwiML <Response/>; for STOP/START a <Message> confirming it",
        }
    },
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
    # STOP, START and kin: the recorder records the consent change with the
    # message; the answer confirms it to the sender (Twilio sends the <Message>).
    keyword = keyword_message(event)
    answer = EMPTY_TWIML if keyword is None else keyword_twiml(keyword)
    response = await publish(request, hub, "sms", event, answer)
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
        str | None,
        Query(max_length=64, description="Set by the hub in the StatusCallback URL."),
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
    return await publish(request, hub, "sms-status", event)


# Webhooks the gateway receives thousands of per second: served by the fast lane.
FAST_LANE = {("POST", router.prefix + "/sms"): inbound_sms}
