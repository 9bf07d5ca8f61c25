"""The hub's event store on eventsourcing's recorders (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    PersistenceError,
    ProcessRecorder,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import Environment
from psycopg import sql

from events import Event
from projections.sql import Dialect
from services.infra.eventstore.array_insert import TOPIC_APPLICATION
from services.infra.eventstore.keys import KeyStore
from services.infra.eventstore.mapper import PiiMapper
from services.infra.eventstore.tracking import TOPIC_POSTGRES, TOPIC_SQLITE
from services.infra.sql import SqlRunner

APPLICATION_NAME = "contacthub"


# A store fault that a retry may cure (the server restarts, a lock times out):
# never a reason to drop or dead-letter a message.
TRANSIENT_STORE_ERRORS: tuple[type[Exception], ...] = (
    PersistenceError,
    psycopg.Error,
    OSError,
)


@dataclass(frozen=True)
class StoreLocation:
    """Where the events live, as the library's environment wants it."""

    dialect: Dialect
    env: dict[str, str]


def store_location(
    database_url: str | None, data_dir: Path, purpose: str = "events"
) -> StoreLocation:
    """SQLite file in the data folder, or the PostgreSQL database in the URL.

    `purpose` separates the SQLite files (events, views) so that projection
    writes never wait on the event writer's lock.
    """
    if not database_url:
        data_dir.mkdir(parents=True, exist_ok=True)
        name = "eventsourcing.sqlite" if purpose == "events" else f"{purpose}.sqlite"
        return StoreLocation(
            "sqlite",
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(data_dir / name),
                "SQLITE_LOCK_TIMEOUT": "10",
                "CREATE_TABLE": "y",
            },
        )
    url = urlparse(database_url)
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"CONTACTHUB_DATABASE_URL must be postgresql://..., not {url.scheme}://")
    query = parse_qs(url.query)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "contacthub",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": query.get("pool_size", ["5"])[0],
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "CREATE_TABLE": "y",
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    return StoreLocation("postgres", env)


def construct_factory(location: StoreLocation, name: str) -> InfrastructureFactory:
    return InfrastructureFactory.construct(env=Environment(name=name, env=location.env))


# Streams per SQLite query (well below its limit of bound parameters).
SQLITE_CHUNK = 500


class EventStore:
    """Appends and reads our events; duplicates surface as IntegrityError."""

    def __init__(
        self, recorder: ApplicationRecorder, mapper: PiiMapper, keys: KeyStore, dialect: Dialect
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.keys = keys
        self.dialect = dialect

    def append(self, events: Sequence[Event]) -> list[int]:
        """Writes the events in one transaction; returns their notification ids.

        Raises IntegrityError (and writes nothing) if any (stream, version) exists.
        """
        stored = [self.mapper.to_stored_event(e) for e in events]
        ids = self.recorder.insert_events(stored)
        return list(ids or [])

    def append_tracked(
        self, stored: Sequence[StoredEvent], trackings: Sequence[Tracking]
    ) -> list[int]:
        """Writes already-mapped events and the consumer positions in one transaction.

        Raises IntegrityError (and writes nothing) if any (stream, version) exists
        or a position does not move forward. Without positions any recorder
        will do (the embedded group commit).
        """
        if not trackings:
            return list(self.recorder.insert_events(list(stored)) or [])
        if not isinstance(self.recorder, ProcessRecorder):
            raise TypeError("open the store with tracked=True to record consumer positions")
        ids = self.recorder.insert_events(list(stored), trackings=list(trackings))
        return list(ids or [])

    def max_tracking_id(self, name: str) -> int | None:
        if not isinstance(self.recorder, ProcessRecorder):
            raise TypeError("open the store with tracked=True to read consumer positions")
        return self.recorder.max_tracking_id(name)

    def existing(self, originator_ids: Iterable[UUID]) -> set[UUID]:
        """Which of the streams have events (one query on PostgreSQL)."""
        return set(self._select_streams(originator_ids, first_only=True))

    def streams(self, originator_ids: Iterable[UUID]) -> dict[UUID, list[Event]]:
        """The events of several streams, each in version order (one query on PostgreSQL)."""
        # Whole streams at once, so an erasure at a stream's end is seen before
        # its earlier events are decoded (the mapper forgets the erased key).
        return {
            stream_id: self.mapper.to_domain_events(stored)
            for stream_id, stored in self._select_streams(originator_ids).items()
        }

    def _select_streams(
        self, originator_ids: Iterable[UUID], first_only: bool = False
    ) -> dict[UUID, list[StoredEvent]]:
        ids = list(dict.fromkeys(originator_ids))
        if not ids:
            return {}
        if self.dialect == "sqlite":
            return self._select_sqlite_streams(ids, first_only)
        recorder = self.recorder
        statement = sql.SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{}"
            " WHERE originator_id = ANY(%s)"
            + (" AND originator_version = 1" if first_only else "")
            + " ORDER BY originator_id, originator_version"
        ).format(
            sql.Identifier(recorder.datastore.schema),  # type: ignore[attr-defined]
            sql.Identifier(recorder.events_table_name),  # type: ignore[attr-defined]
        )
        result: dict[UUID, list[StoredEvent]] = defaultdict(list)
        with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(statement, (ids,))
            for row in cursor.fetchall():
                result[row["originator_id"]].append(
                    StoredEvent(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                )
        return dict(result)

    def _select_sqlite_streams(
        self, ids: list[UUID], first_only: bool
    ) -> dict[UUID, list[StoredEvent]]:
        # One query per chunk, not one transaction per stream: the group commit
        # reads a few streams per webhook (its message, its address claims), and
        # a select each was most of a batch's time.
        recorder = self.recorder
        result: dict[UUID, list[StoredEvent]] = defaultdict(list)
        for start in range(0, len(ids), SQLITE_CHUNK):
            chunk = ids[start : start + SQLITE_CHUNK]
            statement = (
                "SELECT originator_id, originator_version, topic, state FROM "
                f"{recorder.events_table_name}"  # type: ignore[attr-defined]
                f" WHERE originator_id IN ({','.join('?' * len(chunk))})"
                + (" AND originator_version = 1" if first_only else "")
                + " ORDER BY originator_id, originator_version"
            )
            with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                cursor.execute(statement, [i.hex for i in chunk])
                for row in cursor.fetchall():
                    stream_id = UUID(row["originator_id"])
                    result[stream_id].append(
                        StoredEvent(
                            originator_id=stream_id,
                            originator_version=row["originator_version"],
                            topic=row["topic"],
                            state=row["state"],
                        )
                    )
        return dict(result)

    def stream(self, originator_id: UUID) -> list[Event]:
        return list(self.mapper.to_domain_events(self.recorder.select_events(originator_id)))

    def exists(self, originator_id: UUID) -> bool:
        return bool(self.recorder.select_events(originator_id, limit=1))

    def notifications(self, after: int, limit: int) -> list[tuple[int, Event]]:
        """Events in the store's notification order with ids greater than `after`."""
        found = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        events = self.mapper.to_domain_events(found)
        return [(n.id, event) for n, event in zip(found, events, strict=True)]

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    def ping(self) -> None:
        self.recorder.max_notification_id()


def open_event_store(
    location: StoreLocation, master_key: bytes, *, tracked: bool = False
) -> EventStore:
    """The store; `tracked` gives it the process recorder, for consumers that
    record their input's position with the events (the Kafka recorder)."""
    if tracked:
        topic = TOPIC_SQLITE if location.dialect == "sqlite" else TOPIC_POSTGRES
        location = StoreLocation(
            location.dialect, {**location.env, "PROCESS_RECORDER_TOPIC": topic}
        )
    elif location.dialect == "postgres":
        # The binary array insert (array_insert.py); SQLite keeps the library's.
        location = StoreLocation(
            location.dialect, {**location.env, "APPLICATION_RECORDER_TOPIC": TOPIC_APPLICATION}
        )
    factory = construct_factory(location, APPLICATION_NAME)
    recorder = factory.process_recorder() if tracked else factory.application_recorder()
    datastore = recorder.datastore  # type: ignore[attr-defined]
    keys = KeyStore(SqlRunner(datastore, location.dialect), master_key)
    return EventStore(recorder, PiiMapper(keys), keys, location.dialect)


__all__ = ["EventStore", "IntegrityError", "StoreLocation", "open_event_store", "store_location"]
