"""Twilio voice webhooks: verify, validate, translate, publish, answer with TwiML.

The inbound call is recorded before the TwiML is returned (guarantee 1); status,
recording and transcription callbacks are recorded before their 200. A wrong
signature is 403 and records nothing (the signature check comes first).
Callbacks find their call by the `interaction` parameter the hub put into the
URL (click-to-call) or, for inbound calls, by the CallSid.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import ValidationError

from adapters.voice import twiml
from adapters.voice.translate import (
    TwilioCallStatus,
    TwilioIncomingCall,
    TwilioRecording,
    TwilioTranscription,
    call_status_event,
    call_stream_id,
    incoming_call_event,
    recording_event,
    transcript_event,
)
from domain.addresses import InvalidAddress
from events import Event
from services.entry.api.deps import HubDep
from services.entry.api.routes.twilio_webhooks import (
    TWILIO_ERRORS,
    publish,
    unprocessable,
    verified_form,
)
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/webhooks/twilio/voice", tags=["webhooks"], responses=TWILIO_ERRORS)

TWIML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {}}, "description": "TwiML"}
}
InteractionParam = Annotated[
    str | None,
    Query(max_length=64, description="Set by the hub in callback URLs of calls it placed."),
]


def callback_urls(hub: Hub) -> twiml.CallbackUrls:
    base = f"{hub.settings.public_url}{router.prefix}"
    return twiml.CallbackUrls(
        dialed=f"{base}?step=dialed",
        recorded=f"{base}?step=recorded",
        recording=f"{base}/recording",
    )


def interaction_of(interaction: str | None, form: dict[str, str]) -> UUID:
    if interaction is not None:
        try:
            return UUID(interaction)
        except ValueError:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "`interaction` is not a UUID"
            ) from None
    call_sid = form.get("CallSid")
    if not call_sid:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "CallSid is missing")
    return call_stream_id(call_sid)


async def record_callback(request: Request, hub: Hub, route: str, event: Event | None) -> Response:
    if event is None:  # e.g. a recording still in progress: nothing to attach yet
        return Response(twiml.EMPTY, media_type="text/xml")
    return await publish(request, hub, route, event)  # an unknown call is the app's 404


@router.post(
    "", summary="Inbound call (Twilio voice webhook)", response_class=Response, responses=TWIML
)
async def inbound_call(
    request: Request,
    hub: HubDep,
    step: Annotated[
        Literal["dialed", "recorded"] | None,
        Query(description="Set by the hub in its own TwiML: the Dial or Record action."),
    ] = None,
) -> Response:
    form = await verified_form(request, hub)
    script = hub.voice_script
    if step == "dialed":
        answer = twiml.after_dial(script, callback_urls(hub), form.get("DialCallStatus", ""))
        return Response(answer, media_type="text/xml")
    if step == "recorded":
        return Response(twiml.after_voicemail(script), media_type="text/xml")
    try:
        event = incoming_call_event(
            TwilioIncomingCall.model_validate(form),
            received_at=now_of(hub),
            address_secret=hub.address_secret,
            default_region=hub.settings.default_region,
        )
    except (ValidationError, InvalidAddress) as exc:
        request.app.state.metrics.webhooks.labels("voice", "rejected").inc()
        raise unprocessable(exc) from exc
    await publish(request, hub, "voice", event)
    return Response(twiml.answer_inbound(script, callback_urls(hub)), media_type="text/xml")


@router.post(
    "/status", summary="Status callback of a call", response_class=Response, responses=TWIML
)
async def call_status(
    request: Request, hub: HubDep, interaction: InteractionParam = None
) -> Response:
    form = await verified_form(request, hub)
    interaction_id = interaction_of(interaction, form)
    try:
        event = call_status_event(
            TwilioCallStatus.model_validate(form),
            interaction_id=interaction_id,
            received_at=now_of(hub),
        )
    except ValidationError as exc:
        raise unprocessable(exc) from exc
    return await record_callback(request, hub, "voice-status", event)


@router.post(
    "/recording",
    summary="Recording status and transcription callbacks of a call",
    response_class=Response,
    responses=TWIML,
)
async def call_recording(
    request: Request, hub: HubDep, interaction: InteractionParam = None
) -> Response:
    form = await verified_form(request, hub)
    interaction_id = interaction_of(interaction, form)
    at = now_of(hub)
    event: Event | None
    try:
        if "TranscriptionSid" in form:
            event = transcript_event(
                TwilioTranscription.model_validate(form),
                interaction_id=interaction_id,
                received_at=at,
            )
        else:
            event = recording_event(
                TwilioRecording.model_validate(form), interaction_id=interaction_id, received_at=at
            )
    except ValidationError as exc:
        raise unprocessable(exc) from exc
    return await record_callback(request, hub, "voice-recording", event)
