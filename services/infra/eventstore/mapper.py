"""Maps our pydantic events to the library's stored events and back.

It replaces the library's Mapper (whose `vars()`-based state and per-object
transcoder do not fit frozen pydantic models) and adds field-level encryption:
the fields an event class names in `pii_fields` are encrypted together with the
customer's key, bound to the event id. Everything else stays readable, so the
history survives a crypto-shredding erasure with its personal data gone.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Any, get_args, get_origin
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from events import ERASED, Event, event_class
from services.infra.eventstore.keys import KeyErased, KeyStore

_POSITION = {"originator_id", "originator_version"}
ERASURE_TOPIC = "CustomerErased"


class PiiMapper(Mapper[UUID]):
    def __init__(self, keys: KeyStore) -> None:
        # The library's transcoder is not used: orjson and pydantic do the work.
        from eventsourcing.persistence import JSONTranscoder

        super().__init__(transcoder=JSONTranscoder())
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event: Event = domain_event
        state = event.model_dump(mode="json", exclude=_POSITION)
        pii = {name: state.pop(name) for name in event.pii_fields if name in state}
        if pii:
            if event.customer_id is None:
                raise ValueError(f"{event.type} {event.event_id} has personal data but no customer")
            cipher = self.keys.for_writing(event.customer_id)
            nonce = os.urandom(12)
            sealed = cipher.encrypt(nonce, orjson.dumps(pii), event.event_id.bytes)
            state["pii"] = base64.b64encode(nonce + sealed).decode()
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=event.type,
            state=orjson.dumps(state),
        )

    def to_domain_events(self, stored_events: Sequence[StoredEvent]) -> list[Any]:
        """Decodes a page of stored events, loading the keys of every customer on
        it in one query first (one query per customer made replays key-bound)."""
        states = [_parsed(stored.state) for stored in stored_events]
        for stored, state in zip(stored_events, states, strict=True):
            # Erased by another process: its cached key must not read on here.
            if stored.topic == ERASURE_TOPIC and state and state.get("customer_id"):
                self.keys.forget(UUID(state["customer_id"]))
        customers = {state["customer_id"] for state in states if state and "pii" in state}
        if customers:
            self.keys.preload(UUID(customer) for customer in customers)
        return [
            self._decode(stored, state) for stored, state in zip(stored_events, states, strict=True)
        ]

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self._decode(stored_event, None)

    def _decode(self, stored_event: StoredEvent, state: dict[str, Any] | None) -> Any:
        try:
            cls = event_class(stored_event.topic)
            if state is None:  # not parsed yet, or unparseable (then raise here, named)
                state = orjson.loads(stored_event.state)
            assert state is not None
            sealed = state.pop("pii", None)
            if sealed is not None:
                state.update(self._open(cls, state, sealed))
            state["originator_id"] = stored_event.originator_id
            state["originator_version"] = stored_event.originator_version
            return cls.model_validate(state)
        except Exception as exc:
            raise MapperDeserialisationError(
                f"cannot read stored event {stored_event.topic} "
                f"{stored_event.originator_id}@{stored_event.originator_version}: {exc}"
            ) from exc

    def _open(self, cls: type[Event], state: dict[str, Any], sealed: str) -> dict[str, Any]:
        customer_id = UUID(state["customer_id"])
        try:
            cipher = self.keys.for_reading(customer_id)
        except KeyErased:
            return {name: _erased_value(cls, name) for name in cls.pii_fields}
        raw = base64.b64decode(sealed)
        try:
            plain = cipher.decrypt(raw[:12], raw[12:], UUID(state["event_id"]).bytes)
        except InvalidTag as exc:
            raise ValueError("personal data does not match its event (tampered?)") from exc
        result: dict[str, Any] = orjson.loads(plain)
        return result


def _parsed(state: bytes) -> dict[str, Any] | None:
    try:
        parsed = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _erased_value(cls: type[Event], name: str) -> Any:
    # A sequence field (a letter's address lines, media URLs) reads empty, a
    # text field "[erased]": judged by the type, as such fields need no default.
    field = cls.model_fields[name]
    if isinstance(field.default, tuple) or _is_sequence(field.annotation):
        return ()
    return ERASED


def _is_sequence(annotation: Any) -> bool:
    if get_origin(annotation) in (tuple, list):
        return True
    return any(get_origin(arg) in (tuple, list) for arg in get_args(annotation))
