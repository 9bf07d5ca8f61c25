"""Data subject access: everything the hub holds about one customer, as one
JSON document, and with the attachments' bytes as a ZIP when asked.

Built from the event store, the source of truth (decrypted with the customer's
key): the customer stream (profile, addresses, consent), every interaction's
stream whole with its content, and the complaint cases' streams. The read
models only say which interactions and cases are the customer's.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from adapters.voice.recordings import RecordingUnavailable
from domain.consent import consent_by_purpose
from events import (
    ChannelAddressLinked,
    ConsentChanged,
    CustomerRegistered,
    Event,
    PostalAddressSet,
)
from services.app.errors import CustomerNotFound
from services.app.interactions import ConsentProof, Interactions
from services.infra.eventstore import EventStore

FORMAT = "contacthub.customer-export.v1"
POSTAL_FIELDS = {"name", "street", "extra", "postal_code", "city", "country"}
# Names inside the ZIP: letters, digits and a few marks; the rest becomes `_`.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Export:
    document: dict[str, Any]
    # ZIP path -> bytes of each attachment the document names.
    files: dict[str, bytes] = field(default_factory=dict)

    def json(self) -> bytes:
        return orjson.dumps(self.document, option=orjson.OPT_INDENT_2)

    def zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("export.json", self.json())
            for path, data in sorted(self.files.items()):
                archive.writestr(path, data)
        return buffer.getvalue()


def event_json(event: Event) -> dict[str, Any]:
    dumped: dict[str, Any] = event.model_dump(mode="json")
    return dumped


def proof_json(proof: ConsentProof | None) -> dict[str, Any] | None:
    if proof is None:
        return None
    return {
        "id": str(proof.consent_id) if proof.consent_id else None,
        "channel": proof.channel,
        "purpose": proof.purpose,
        "granted": proof.granted,
        "at": proof.at.isoformat() if proof.at else None,
        "source": proof.source,
        "changed_by": proof.changed_by,
    }


def zip_name(interaction_id: UUID, index: int, name: str) -> str:
    safe = _UNSAFE.sub("_", name).strip("._") or "attachment"
    return f"attachments/{interaction_id}/{index}-{safe[:100]}"


class CustomerExports:
    def __init__(
        self,
        store: EventStore,
        interactions: Interactions,
        *,
        interaction_ids: Callable[[UUID], list[UUID]],
        complaint_ids: Callable[[UUID], list[UUID]],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.interactions = interactions
        self.interaction_ids = interaction_ids
        self.complaint_ids = complaint_ids
        self.clock = clock

    def export(self, customer_id: UUID) -> Export:
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        files: dict[str, bytes] = {}
        document: dict[str, Any] = {
            "format": FORMAT,
            "exported_at": self.clock().isoformat(),
            "customer_id": str(customer_id),
            "profile": profile(history),
            "addresses": [
                {"channel": e.channel, "address": e.address, "linked_at": e.occurred_at.isoformat()}
                for e in history
                if isinstance(e, ChannelAddressLinked)
            ],
            "consent": {
                "now": consent_by_purpose(history),
                "history": [event_json(e) for e in history if isinstance(e, ConsentChanged)],
            },
            "customer_events": [event_json(e) for e in history],
            "interactions": [
                self._interaction(i, files) for i in self.interaction_ids(customer_id)
            ],
            "complaints": [
                {"complaint_id": str(c), "events": [event_json(e) for e in self.store.stream(c)]}
                for c in self.complaint_ids(customer_id)
            ],
        }
        return Export(document, files)

    def _interaction(self, interaction_id: UUID, files: dict[str, bytes]) -> dict[str, Any]:
        stream = self.store.stream(interaction_id)
        content = self.interactions.content(interaction_id)
        attachments = []
        for n, meta in enumerate(content.attachments):
            path = zip_name(interaction_id, n, meta.name)
            try:
                found = self.interactions.attachment(interaction_id, n)
            except RecordingUnavailable:
                found = None  # listed without its file; the export says "file": null
            if found is not None:
                files[path] = found.data
            attachments.append(
                {
                    "name": meta.name,
                    "content_type": meta.content_type,
                    "size": found.meta.size if found is not None else meta.size,
                    "sha256": meta.sha256,
                    "file": path if found is not None else None,
                }
            )
        return {
            "interaction_id": str(interaction_id),
            "body": content.body,
            "html": content.html,
            "attachments": attachments,
            "consent": proof_json(self.interactions.consent(interaction_id)),
            "events": [event_json(e) for e in stream],
        }


def profile(history: list[Event]) -> dict[str, Any]:
    """The customer as registered, with the latest postal address (a fold)."""
    registered = next((e for e in history if isinstance(e, CustomerRegistered)), None)
    postal = [e for e in history if isinstance(e, PostalAddressSet)]
    return {
        "display_name": registered.display_name if registered else None,
        "language": registered.language if registered else None,
        "source_channel": registered.source_channel if registered else None,
        "registered_at": registered.occurred_at.isoformat() if registered else None,
        "postal_address": postal[-1].model_dump(mode="json", include=POSTAL_FIELDS)
        if postal
        else None,
    }
