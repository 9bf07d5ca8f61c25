"""Consent per channel as commands on the customer stream (`ConsentChanged`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from uuid import UUID, uuid4

from domain.consent import consent_by_channel
from events import ConsentChanged, Event
from events.envelope import Channel
from services.app.errors import CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore


class ConsentBook:
    def __init__(
        self, store: EventStore, recorder: Recorder, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.clock = clock

    def current(self, customer_id: UUID) -> dict[str, bool]:
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        return consent_by_channel(history)

    def change(
        self, customer_id: UUID, channels: Mapping[Channel, bool], *, agent: str, source: str
    ) -> tuple[dict[str, bool], int]:
        """Records the decisions that differ from the current ones; returns the new
        state and the last notification id (0 if nothing changed)."""
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        current = consent_by_channel(history)
        now = self.clock()
        version = history[-1].originator_version
        events: list[Event] = []
        for channel, granted in sorted(channels.items()):
            if current.get(channel) is granted:
                continue  # saying it again changes nothing, so records nothing
            version += 1
            events.append(
                ConsentChanged(
                    event_id=uuid4(),
                    originator_id=customer_id,
                    originator_version=version,
                    customer_id=customer_id,
                    occurred_at=now,
                    recorded_at=now,
                    channel=channel,
                    granted=granted,
                    changed_by=agent,
                    source=source,
                )
            )
        ids = self.recorder.append(events).notification_ids
        return consent_by_channel([*history, *events]), max(ids, default=0)
