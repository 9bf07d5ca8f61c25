"""Outbound messages as commands: record the intent, send, record the answer.

The intent (`SmsSent`) is recorded before Twilio is called, so a status
callback can never arrive for an interaction the store does not know, and a
crash between the two leaves a visible `requested` message, not a silent send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

from adapters.sms.sender import SendFailed, SentMessage
from adapters.sms.translate import WHATSAPP, send_failed, status_from_send
from domain import messages
from domain.addresses import normalise_phone
from domain.consent import ContactRefused, QuietHours, check_contact
from events import ChannelAddressLinked, Event, SmsSent, provider_event_id
from events.sms import MessagingChannel
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore


class MessageSender(Protocol):
    def send(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> SentMessage: ...


@dataclass(frozen=True)
class SendOutcome:
    interaction_id: UUID
    status: str
    provider_message_id: str | None
    error: str | None
    notification_id: int


class Messaging:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        sender: MessageSender | None,
        *,
        from_number: str,
        public_url: str,
        default_region: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.sender = sender
        self.from_number = from_number
        self.public_url = public_url
        self.default_region = default_region
        self.clock = clock
        # Quiet hours for SMS and WhatsApp; set by the composition root.
        self.quiet: QuietHours | None = None
        # Our WhatsApp sender (E.164); set by the composition root.
        self.whatsapp_from = ""

    def send_sms(
        self,
        customer_id: UUID,
        body: str,
        *,
        agent: str,
        to: str | None = None,
        idempotency_key: str | None = None,
        channel: MessagingChannel = "sms",
    ) -> SendOutcome:
        sender_number = self.whatsapp_from if channel == "whatsapp" else self.from_number
        if self.sender is None or not sender_number:
            variable = "WHATSAPP_FROM" if channel == "whatsapp" else "FROM_NUMBER"
            raise CommandRefused(
                f"{channel} sending is not configured: set CONTACTHUB_TWILIO_ACCOUNT_SID, "
                f"CONTACTHUB_TWILIO_AUTH_TOKEN and CONTACTHUB_TWILIO_{variable}"
            )
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        number = (
            normalise_phone(to, self.default_region) if to else self._phone_of(history, channel)
        )
        interaction_id = (
            provider_event_id("contacthub", "outbound", str(customer_id), idempotency_key)
            if idempotency_key
            else uuid4()
        )
        existing = messages.fold(self.store.stream(interaction_id))
        if existing is not None:  # the same command again: report, do not resend
            return SendOutcome(
                interaction_id,
                existing.status.value,
                existing.provider_message_id,
                None,
                self.store.max_notification_id(),
            )
        now = self.clock()
        try:
            check_contact(history, channel, now, self.quiet)
        except ContactRefused as exc:
            raise CommandRefused(str(exc)) from exc
        intent = SmsSent(
            event_id=interaction_id,
            originator_id=interaction_id,
            customer_id=customer_id,
            occurred_at=now,
            recorded_at=now,
            channel=channel,
            to_address=number,
            from_address=sender_number,
            body=body,
            sent_by=agent,
        )
        last = self.recorder.append([intent]).notification_ids[-1]
        callback = f"{self.public_url}/webhooks/twilio/sms/status?interaction={interaction_id}"
        result: Event
        error = None
        try:
            # Twilio tells WhatsApp from SMS by the address prefix alone.
            prefix = WHATSAPP if channel == "whatsapp" else ""
            sent = self.sender.send(
                to=prefix + number,
                from_=prefix + sender_number,
                body=body,
                status_callback=callback,
            )
        except SendFailed as exc:
            error = str(exc)
            result = send_failed(
                interaction_id=interaction_id, code=exc.code, message=error, at=self.clock()
            )
            sid = None
        else:
            sid = sent.sid
            result = status_from_send(
                interaction_id=interaction_id, sid=sent.sid, status=sent.status, at=self.clock()
            )
        recorded = self.recorder.record(result)
        state = messages.fold(self.store.stream(interaction_id))
        assert state is not None
        return SendOutcome(
            interaction_id,
            state.status.value,
            sid,
            error,
            max((last, *recorded.notification_ids)),
        )

    @staticmethod
    def _phone_of(history: list[Event], channel: MessagingChannel = "sms") -> str:
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
