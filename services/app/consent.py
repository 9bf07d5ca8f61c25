"""Consent per channel and purpose as commands on the customer stream
(`ConsentChanged`), and the proof of the consent a send relied on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from domain.consent import changes_anything, consent_by_channel, consent_by_purpose
from events import ConsentChanged, Event, Purpose
from events.envelope import Channel
from services.app.errors import CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore


@dataclass(frozen=True)
class ConsentNow:
    """What is allowed now: service per channel, and every purpose per channel."""

    channels: dict[str, bool]
    purposes: dict[str, dict[Purpose, bool]]


def consent_now(history: list[Event]) -> ConsentNow:
    return ConsentNow(consent_by_channel(history), consent_by_purpose(history))


class ConsentBook:
    def __init__(
        self, store: EventStore, recorder: Recorder, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.clock = clock

    def current(self, customer_id: UUID) -> ConsentNow:
        return consent_now(self._history(customer_id))

    def history(self, customer_id: UUID) -> list[ConsentChanged]:
        """Every decision the customer made, oldest first: the proof trail."""
        return [e for e in self._history(customer_id) if isinstance(e, ConsentChanged)]

    def _history(self, customer_id: UUID) -> list[Event]:
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        return history

    def change(
        self,
        customer_id: UUID,
        channels: Mapping[Channel, bool],
        *,
        agent: str | None,
        source: str,
        purpose: Purpose | None = None,
    ) -> tuple[ConsentNow, int]:
        """Records the decisions that change what is allowed; returns the new state
        and the last notification id (0 if nothing changed). `purpose` None decides
        every purpose of the channels."""
        history = self._history(customer_id)
        now = self.clock()
        version = history[-1].originator_version
        events: list[Event] = []
        for channel, granted in sorted(channels.items()):
            if not changes_anything([*history, *events], channel, purpose, granted):
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
                    purpose=purpose,
                    changed_by=agent,
                    source=source,
                )
            )
        ids = self.recorder.append(events).notification_ids
        return consent_now([*history, *events]), max(ids, default=0)
