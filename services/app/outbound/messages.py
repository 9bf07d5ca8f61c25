"""SMS and WhatsApp through Twilio: configurations of the outbound pipeline.

Twilio tells WhatsApp from SMS by the address prefix alone, so one class
serves both, each with its own sender number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from adapters.sms.sender import SentMessage
from adapters.sms.translate import WHATSAPP, send_failed, status_from_send
from domain import messages
from domain.addresses import normalise_phone
from domain.consent import Initiator
from events import ChannelAddressLinked, Event, Purpose, SmsSent
from events.sms import MessagingChannel
from services.app.errors import CommandRefused
from services.app.outbound.channel_parts import (
    TokenInteractionId,
    interaction_state,
    twilio_delivery,
)
from services.app.outbound.pipeline import (
    Delivery,
    Intent,
    InteractionState,
    Outbound,
    Planned,
    SendOutcome,
)

__all__ = ["MessageSender", "Messaging", "SendOutcome", "TextChannel", "TextMessage"]


class MessageSender(Protocol):
    def send(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> SentMessage: ...


@dataclass(frozen=True)
class TextMessage:
    body: str
    to: str | None = None


@dataclass
class TextChannel(TokenInteractionId):
    """One texting channel (sms or whatsapp) as the pipeline sends over it."""

    channel: MessagingChannel
    sender: MessageSender | None
    from_number: str
    public_url: str
    default_region: str
    clock: Callable[[], datetime]
    # SMS and WhatsApp have always shared one id namespace; kept so old keys still match.
    namespace: str = "outbound"

    def unconfigured(self) -> str | None:
        if self.sender is not None and self.from_number:
            return None
        variable = "WHATSAPP_FROM" if self.channel == "whatsapp" else "FROM_NUMBER"
        return (
            f"{self.channel} sending is not configured: set CONTACTHUB_TWILIO_ACCOUNT_SID, "
            f"CONTACTHUB_TWILIO_AUTH_TOKEN and CONTACTHUB_TWILIO_{variable}"
        )

    def fold(self, stream: list[Event]) -> InteractionState | None:
        return interaction_state(messages.fold, stream, lambda state: state.provider_message_id)

    def plan(self, intent: Intent, request: TextMessage) -> Planned:
        number = (
            normalise_phone(request.to, self.default_region)
            if request.to
            else phone_of(intent.history, self.channel)
        )
        sent = SmsSent(
            event_id=intent.interaction_id,
            originator_id=intent.interaction_id,
            customer_id=intent.customer_id,
            occurred_at=intent.now,
            recorded_at=intent.now,
            channel=self.channel,
            to_address=number,
            from_address=self.from_number,
            body=request.body,
            sent_by=intent.agent,
            consent_id=intent.consent_id,
        )
        return Planned([sent])

    async def deliver(self, planned: Planned, request: TextMessage) -> Delivery:
        sent = planned.events[0]
        sender = self.sender
        assert isinstance(sent, SmsSent) and sender is not None
        interaction_id = sent.originator_id
        callback = f"{self.public_url}/webhooks/twilio/sms/status?interaction={interaction_id}"
        prefix = WHATSAPP if self.channel == "whatsapp" else ""
        return await twilio_delivery(
            lambda: sender.send(
                to=prefix + sent.to_address,
                from_=prefix + sent.from_address,
                body=sent.body,
                status_callback=callback,
            ),
            interaction_id=interaction_id,
            failed=send_failed,
            answered=status_from_send,
            clock=self.clock,
        )


class Messaging:
    """Sends SMS and WhatsApp messages through the outbound pipeline."""

    def __init__(
        self,
        outbound: Outbound,
        sender: MessageSender | None,
        *,
        from_number: str,
        whatsapp_from: str,
        public_url: str,
        default_region: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.outbound = outbound
        self.sms = TextChannel("sms", sender, from_number, public_url, default_region, clock)
        self.whatsapp = TextChannel(
            "whatsapp", sender, whatsapp_from, public_url, default_region, clock
        )

    @property
    def whatsapp_from(self) -> str:
        """Our WhatsApp sender (E.164); empty: WhatsApp is not configured."""
        return self.whatsapp.from_number

    @whatsapp_from.setter
    def whatsapp_from(self, number: str) -> None:
        self.whatsapp.from_number = number

    async def send_sms(
        self,
        customer_id: UUID,
        body: str,
        *,
        agent: str,
        to: str | None = None,
        idempotency_key: str | None = None,
        channel: MessagingChannel = "sms",
        initiated_by: Initiator = "agent",
        purpose: Purpose = "service",
    ) -> SendOutcome:
        return await self.outbound.send(
            self.whatsapp if channel == "whatsapp" else self.sms,
            customer_id,
            TextMessage(body, to),
            agent=agent,
            idempotency_key=idempotency_key,
            initiated_by=initiated_by,
            purpose=purpose,
        )


def phone_of(history: list[Event], channel: MessagingChannel = "sms") -> str:
    """The channel's own number, else the customer's other texting number (one
    phone number serves SMS and WhatsApp)."""
    linked: dict[str, str] = {
        e.channel: e.address
        for e in history
        if isinstance(e, ChannelAddressLinked) and e.channel in ("sms", "whatsapp")
    }
    number = linked.get(channel) or linked.get("whatsapp" if channel == "sms" else "sms")
    if not number:
        raise CommandRefused(f"the customer has no {channel} number; give `to` explicitly")
    return number
