"""May we contact the customer over this channel now? Consent and quiet hours.

Consent: the latest `ConsentChanged` per channel decides; with none, service
contact is allowed. Quiet hours (local time, e.g. 20:00-08:00 Europe/Berlin)
hold back calls and text messages; letters are not intrusive and go out any
time. Both decisions are pure: the caller passes the history and the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from events import ConsentChanged, Event

# Channels whose outbound contact interrupts the customer, so quiet hours apply.
INTRUSIVE = frozenset({"sms", "whatsapp", "voice"})


class ContactRefused(ValueError):
    """Contact over the channel is not allowed now; the message says why."""


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, zone: str) -> QuietHours | None:
        """'20:00-08:00' -> the window; '' -> None (no quiet hours)."""
        if not spec.strip():
            return None
        try:
            start_text, end_text = spec.split("-")
            start, end = (
                time.fromisoformat(start_text.strip()),
                time.fromisoformat(end_text.strip()),
            )
        except ValueError:
            raise ValueError(f"quiet hours must look like 20:00-08:00, not {spec!r}") from None
        return cls(start, end, ZoneInfo(zone))

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # the window spans midnight

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"


def consent_by_channel(history: Iterable[Event]) -> dict[str, bool]:
    decided: dict[str, bool] = {}
    for event in history:
        if isinstance(event, ConsentChanged):
            decided[event.channel] = event.granted
    return decided


def check_contact(
    history: Iterable[Event], channel: str, now: datetime, quiet: QuietHours | None
) -> None:
    """Raises ContactRefused if the customer opted out of the channel or it is quiet time."""
    if consent_by_channel(history).get(channel) is False:
        raise ContactRefused(f"the customer opted out of {channel}")
    if quiet is not None and channel in INTRUSIVE and quiet.contains(now):
        raise ContactRefused(
            f"quiet hours ({quiet.describe()}): no {channel} contact until "
            f"{quiet.end:%H:%M} local time"
        )
