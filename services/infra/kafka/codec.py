"""How events travel on the hub's topics: value, key and headers.

Both topics carry an event as its own JSON (`Event.model_dump_json()`): the
versioned envelope (type, schema_version, event_id, ...) that `contacthub
schema` documents. Intake messages are keyed by the keyed hash of the sender's
address, so one address's messages share a partition and keep their order;
domain events by customer id, so each customer's history keeps its order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Union
from uuid import UUID

import orjson
from pydantic import Field, TypeAdapter

from events import EVENT_TYPES, Event, InboundEvent, SmsStatusChanged, event_class

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


def _intake_adapter() -> TypeAdapter[Event]:
    """All intake classes as one union, discriminated by `type`."""
    classes = tuple(cls for cls in EVENT_TYPES.values() if issubclass(cls, INTAKE_TYPES))
    union: Any = Annotated[Union[classes], Field(discriminator="type")]  # noqa: UP007 - built at run time
    adapter: TypeAdapter[Event] = TypeAdapter(union)
    return adapter


_INTAKE = _intake_adapter()


def decode_intake(value: bytes | None) -> Event:
    """The intake event in a message; PoisonMessage says why if there is none.

    One parse and validation by the discriminated union of the intake classes
    (pydantic reads the bytes once, in Rust); a message it rejects is read
    again, slowly, to say exactly what is wrong with it.
    """
    if not value:
        raise PoisonMessage("empty message")
    try:
        return _INTAKE.validate_json(value)
    except ValueError:
        return _diagnose(value)


def _diagnose(value: bytes) -> Event:
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
