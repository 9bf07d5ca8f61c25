"""JSON Schemas of the event contract, one document per event type."""

from __future__ import annotations

from typing import Any

from events.registry import EVENT_TYPES

SCHEMA_BASE = "https://contacthub.dev/schemas/events"


def event_schemas() -> dict[str, dict[str, Any]]:
    """`<Type>.v<version>` -> its JSON Schema (draft 2020-12), with an $id."""
    documents: dict[str, dict[str, Any]] = {}
    for name, cls in EVENT_TYPES.items():
        version = cls.model_fields["schema_version"].default
        key = f"{name}.v{version}"
        document = cls.model_json_schema(mode="serialization")
        document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        document["$id"] = f"{SCHEMA_BASE}/{key}.json"
        document["x-personal-data"] = sorted(cls.pii_fields)
        documents[key] = document
    return documents
