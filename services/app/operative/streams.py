"""Deciding on one stream and appending at the next version, retried on races.

The store's uniqueness of (stream, version) is the lock: when a concurrent
writer appended first, the append fails and the command decides again on the
fresh history, so two agents moving one opportunity never both win.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from events import Event
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore

MAX_ATTEMPTS = 20


class StreamConflict(RuntimeError):
    """Kept losing to concurrent writers; the client may retry (409)."""


def decide_and_append(
    store: EventStore,
    recorder: Recorder,
    stream_id: UUID,
    decision: Callable[[list[Event]], list[Event]],
) -> tuple[list[Event], int]:
    """Runs `decision` on the stream's history and appends what it decides;
    returns the whole history after it and the last notification id (0: nothing new)."""
    for _ in range(MAX_ATTEMPTS):
        history = store.stream(stream_id)
        events = decision(history)
        if not events:
            return history, 0
        try:
            ids = recorder.append(events).notification_ids
        except IntegrityError:
            continue  # a concurrent writer: decide again on the fresh history
        return [*history, *events], max(ids, default=0)
    raise StreamConflict(f"{stream_id} kept changing; try again")
