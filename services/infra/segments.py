"""Saved segments: a name and a filter (domain/segments.py), in the hub's own table.

Definitions, not history: what a segment selects is computed live from the
read models whenever it is asked, so a saved segment never goes stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from services.infra.sql import SqlRunner


@dataclass(frozen=True)
class SavedSegment:
    segment_id: UUID
    name: str
    description: str
    filter: Any
    created_by: str
    created_at: str


class SegmentNameTaken(ValueError):
    """Another segment has this name."""


class SegmentTable:
    def __init__(self, db: SqlRunner) -> None:
        self.db = db
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_segments ("
                " segment_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                " description TEXT NOT NULL, filter TEXT NOT NULL, created_by TEXT NOT NULL,"
                " created_at TEXT NOT NULL)"
            )

    def add(self, segment: SavedSegment) -> None:
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_segments"
                " (segment_id, name, description, filter, created_by, created_at)"
                " VALUES (%(id)s, %(name)s, %(description)s, %(filter)s, %(by)s, %(at)s)"
                " ON CONFLICT (name) DO NOTHING RETURNING segment_id",
                {
                    "id": str(segment.segment_id),
                    "name": segment.name,
                    "description": segment.description,
                    "filter": orjson.dumps(segment.filter).decode(),
                    "by": segment.created_by,
                    "at": segment.created_at,
                },
            )
            if not cursor.fetchall():
                raise SegmentNameTaken(f"a segment named {segment.name!r} exists")

    def all(self) -> list[SavedSegment]:
        return [_saved(r) for r in self.db.query("SELECT * FROM contacthub_segments ORDER BY name")]

    def get(self, segment_id: UUID) -> SavedSegment | None:
        rows = self.db.query(
            "SELECT * FROM contacthub_segments WHERE segment_id = %(id)s", {"id": str(segment_id)}
        )
        return _saved(rows[0]) if rows else None


def _saved(row: dict[str, Any]) -> SavedSegment:
    return SavedSegment(
        segment_id=UUID(row["segment_id"]),
        name=row["name"],
        description=row["description"],
        filter=orjson.loads(row["filter"]),
        created_by=row["created_by"],
        created_at=str(row["created_at"]),
    )


def now_text(at: datetime) -> str:
    return at.isoformat()
