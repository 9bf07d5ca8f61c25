"""The id of what a command creates (an appointment, an opportunity, a case, a
campaign): derived from the client's Idempotency-Key when it gave one, so a
retried request names the same stream and is answered 200 instead of creating
a second; random otherwise.

The derivation is part of the API's promise (a key sent again months later
still finds its stream), so it must not change: `uuid5(owner, "<kind>/<key>")`.
"""

from __future__ import annotations

from uuid import UUID, uuid4, uuid5


def command_id(owner: UUID, kind: str, idempotency_key: str | None) -> UUID:
    """`owner` scopes the key (the customer, the segment): two customers' requests
    with the same key are different commands."""
    if idempotency_key:
        return uuid5(owner, f"{kind}/{idempotency_key}")
    return uuid4()
