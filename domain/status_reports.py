"""Providers' status reports on an interaction (Twilio's callbacks, the relay's
answer and DSNs, the print-and-mail provider's reports): they arrive late,
twice or out of order, so every channel applies them the same way, written
once here:

- a status only ever moves forward, by the channel's ranking of its statuses
  (equal ranks are alternative final outcomes: neither replaces the other);
- a report is recorded only if it is news (its event id not seen on the
  stream before) and changes something, as the interaction's next event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from events import Event

S = TypeVar("S")
E = TypeVar("E", bound=Event)


def later_status(current: S, reported: S, rank: Callable[[S], int]) -> S:
    """The reported status if it ranks above the current one, else the current one."""
    return reported if rank(reported) > rank(current) else current


def recorded_report(
    report: E, *, seen: frozenset[UUID], changes: bool, customer_id: UUID, version: int
) -> list[E]:
    """What to append for a report on an interaction at `version`: nothing if it
    was seen before or `changes` nothing, else the report as the next event of
    the stream, under the interaction's customer."""
    if report.event_id in seen or not changes:
        return []
    stamped = {"customer_id": customer_id, "originator_version": version + 1}
    return [report.model_copy(update=stamped)]
