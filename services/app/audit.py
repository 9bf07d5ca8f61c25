"""The tamper-evident audit export: every event as signed, hash-chained JSON lines.

Events come out decrypted (reading the history is the auditor's job); an
erased customer's personal fields read as erased, because their key is gone.
The first line (the header) says when and with which filters the export was
made, and with which public key; the last (the seal) signs the chain's head.
How lines are chained and how a break is found is domain/audit_chain.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.audit_chain import FORMAT, GENESIS, SEAL, Break, canonical, first_break, link
from domain.audit_chain import signed_message as chain_message
from events import Event
from services.infra.audit_keys import AuditSigner, signature_holds
from services.infra.eventstore import EventStore

BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    """Which events an export holds: one customer's, recorded in [since, until)."""

    customer: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, event: Event) -> bool:
        if self.customer is not None and event.customer_id != self.customer:
            return False
        # Recorded time: what the hub knew when. Events from before the hub
        # stamped a recording time count at their occurrence.
        when = event.recorded_at or event.occurred_at
        if self.since is not None and when < self.since:
            return False
        return not (self.until is not None and when >= self.until)

    def described(self) -> dict[str, str | None]:
        return {
            "customer": str(self.customer) if self.customer else None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def export_lines(
    store: EventStore,
    signer: AuditSigner,
    selection: AuditFilter,
    *,
    created_at: datetime,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The export, line by line (each ending in a newline), read from the store
    in pages so that a long history streams in constant memory. `progress` is
    told how many notifications each page scanned."""
    last = store.max_notification_id()
    header = {
        "kind": "header",
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "filter": selection.described(),
        "algorithm": "ed25519",
        "public_key": signer.public_key,
        # Where the log stood: events recorded later are not in this export.
        "last_notification_id": last,
    }
    line = link(1, GENESIS, header)
    yield canonical(line) + b"\n"
    seq, prev = 2, line["hash"]
    after = 0
    while True:
        page = store.notifications(after, BATCH)
        if not page:
            break
        for notification_id, event in page:
            if notification_id > last:
                break
            if selection.admits(event):
                body = {
                    "kind": "event",
                    "notification_id": notification_id,
                    "event": event.model_dump(mode="json"),
                }
                line = link(seq, prev, body)
                yield canonical(line) + b"\n"
                seq, prev = seq + 1, line["hash"]
        if progress is not None:
            progress(len(page))
        after = page[-1][0]
        if after >= last:
            break
    count = seq - 1
    seal = {
        "kind": SEAL,
        "lines": count,
        "head": prev,
        "signature": signer.sign(chain_message(count, prev)),
    }
    yield canonical(link(seq, prev, seal)) + b"\n"


@dataclass(frozen=True)
class Verified:
    """An intact, correctly signed export."""

    events: int
    public_key: str
    key_from_file: bool  # no key was given: the file's own key was used


def verify_export(raw_lines: Sequence[bytes], public_key: str | None) -> Verified | Break:
    """Checks the chain line by line, then the seal's signature, with `public_key`
    (what a verifier trusts) or, without one, the key the header names."""
    result = first_break(raw_lines)
    if isinstance(result, Break):
        return result
    header, seal = result.lines[0], result.seal
    if header.get("kind") != "header" or header.get("format") != FORMAT:
        return Break(1, "changed", f"the first line is not a {FORMAT} header")
    count = len(result.lines) - 1
    if seal.get("lines") != count or seal.get("head") != seal["prev"]:
        return Break(len(result.lines), "changed", "the seal does not match the chain")
    key = public_key or str(header.get("public_key", ""))
    if not signature_holds(key, chain_message(count, seal["prev"]), str(seal.get("signature"))):
        why = "the signature does not match the public key given"
        if public_key is None:
            why = "the signature does not match the header's public key"
        return Break(len(result.lines), "changed", why)
    return Verified(count - 1, key, key_from_file=public_key is None)


def split_lines(data: bytes) -> list[bytes]:
    """The file's lines; a final newline ends the last line, it starts no new one."""
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return parts


__all__ = ["AuditFilter", "Break", "Verified", "export_lines", "split_lines", "verify_export"]
