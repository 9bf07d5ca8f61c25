"""How events travel on the hub's topics: value, key and headers.

Both topics carry an event as its own JSON (`Event.model_dump_json()`): the
versioned envelope (type, schema_version, event_id, ...) that `contacthub
schema` documents. Intake messages are keyed by the keyed hash of the sender's
address, so one address's messages share a partition and keep their order;
domain events by customer id, so each customer's history keeps its order.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import orjson

from events import Event, InboundEvent, SmsStatusChanged, event_class

TYPE_HEADER = "contacthub-type"
EVENT_ID_HEADER = "contacthub-event-id"
POSITION_HEADER = "contacthub-notification-id"

# Dead-letter headers: what went wrong and where the message came from.
ERROR_HEADER = "contacthub-error"
ORIGIN_TOPIC_HEADER = "contacthub-origin-topic"
ORIGIN_PARTITION_HEADER = "contacthub-origin-partition"
ORIGIN_OFFSET_HEADER = "contacthub-origin-offset"

# What the gateway may put on the intake topic.
INTAKE_TYPES: tuple[type[Event], ...] = (InboundEvent, SmsStatusChanged)


class PoisonMessage(ValueError):
    """The message can never be recorded: undecodable, invalid or of a foreign type."""


def intake_key(event: Event) -> bytes:
    """The partition key: the address's keyed hash (never the plain address)."""
    if isinstance(event, InboundEvent):
        return event.address_key.encode()
    return str(event.originator_id).encode()


def decode_intake(value: bytes | None) -> Event:
    """The intake event in a message; PoisonMessage says why if there is none."""
    if not value:
        raise PoisonMessage("empty message")
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise PoisonMessage("not an event: no `type`")
    try:
        cls = event_class(raw["type"])
        event = cls.model_validate_json(value)
    except KeyError as exc:
        raise PoisonMessage(str(exc.args[0])) from exc
    except ValueError as exc:  # pydantic's ValidationError
        raise PoisonMessage(f"invalid {raw['type']}: {exc}") from exc
    if not isinstance(event, INTAKE_TYPES):
        raise PoisonMessage(f"{event.type} is not an intake event")
    return event


def event_key(event: Event) -> bytes:
    customer: UUID = event.customer_id or event.originator_id
    return str(customer).encode()


def event_value(event: Event) -> bytes:
    return event.model_dump_json().encode()


def event_headers(event: Event, notification_id: int) -> dict[str, str]:
    return {
        TYPE_HEADER: event.type,
        EVENT_ID_HEADER: str(event.event_id),
        POSITION_HEADER: str(notification_id),
    }


def header_map(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    """aiokafka's header pairs as a dict of text."""
    return {name: value.decode(errors="replace") for name, value in headers or ()}
