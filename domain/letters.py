"""Letter interactions: outbound statuses applied monotonically, postal addresses.

A print-and-mail provider reports `printed`, `posted` and, sometimes,
`returned` (undeliverable); reports that arrive late or twice change nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from domain.status_reports import later_status, recorded_report
from events import Event, LetterSent, LetterStatus, LetterStatusChanged, PostalAddressSet

LETTER_STATUS_RANK: dict[LetterStatus, int] = {
    LetterStatus.REQUESTED: 0,
    LetterStatus.SUBMITTED: 1,
    LetterStatus.PRINTED: 2,
    LetterStatus.POSTED: 3,
    LetterStatus.FAILED: 4,
    LetterStatus.RETURNED: 4,
}


def letter_status_rank(status: LetterStatus | str) -> int:
    return LETTER_STATUS_RANK[LetterStatus(status)]


@dataclass(frozen=True)
class LetterState:
    interaction_id: UUID
    customer_id: UUID
    status: LetterStatus
    version: int
    provider_reference: str | None
    seen_event_ids: frozenset[UUID]


class UnknownLetter(LookupError):
    """A status report named a letter the store does not have."""


def fold(events: Iterable[Event]) -> LetterState | None:
    state: LetterState | None = None
    for event in events:
        if isinstance(event, LetterSent):
            assert event.customer_id is not None
            state = LetterState(
                event.originator_id,
                event.customer_id,
                LetterStatus.REQUESTED,
                event.originator_version,
                None,
                frozenset({event.event_id}),
            )
        elif isinstance(event, LetterStatusChanged) and state is not None:
            state = LetterState(
                state.interaction_id,
                state.customer_id,
                later_status(state.status, event.status, letter_status_rank),
                event.originator_version,
                event.provider_reference or state.provider_reference,
                state.seen_event_ids | {event.event_id},
            )
    return state


def decide_letter_status(
    state: LetterState | None, change: LetterStatusChanged
) -> list[LetterStatusChanged]:
    if state is None:
        raise UnknownLetter(f"no letter {change.originator_id}")
    return recorded_report(
        change,
        seen=state.seen_event_ids,
        changes=letter_status_rank(change.status) > letter_status_rank(state.status),
        customer_id=state.customer_id,
        version=state.version,
    )


# -- postal addresses -------------------------------------------------------


def window_lines(
    name: str, street: str, extra: str, postal_code: str, city: str, country: str
) -> tuple[str, ...]:
    """The address lines as DIN 5008 puts them in the window; the country in capitals
    on the last line only for letters abroad (sent from Germany)."""
    lines = [name, extra, street, f"{postal_code} {city}".strip()]
    if country.upper() != "DE":
        lines.append(country.upper())
    return tuple(line.strip() for line in lines if line.strip())


def current_postal_address(history: Iterable[Event]) -> PostalAddressSet | None:
    found = None
    for event in history:
        if isinstance(event, PostalAddressSet):
            found = event
    return found


def normalise_postal(name: str, street: str, postal_code: str, city: str, country: str) -> str:
    """One comparable text for a sender: case, accents, spacing and the usual
    spellings of 'Straße' folded, so the same sender written twice matches."""

    def fold_text(text: str) -> str:
        text = text.lower().replace("ß", "ss")
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.replace("strasse", "str")
        return " ".join(re.sub(r"[^\w]+", " ", text).split())

    parts = (name, street, postal_code.replace(" ", ""), city, country.upper() or "DE")
    return "|".join(fold_text(p) for p in parts)
