"""The hub's event store on eventsourcing's recorders (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, IntegrityError
from eventsourcing.utils import Environment

from events import Event
from projections.sql import Dialect, SqlRunner
from services.eventstore.keys import KeyStore
from services.eventstore.mapper import PiiMapper

APPLICATION_NAME = "contacthub"


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

    def stream(self, originator_id: UUID) -> list[Event]:
        return [self.mapper.to_domain_event(s) for s in self.recorder.select_events(originator_id)]

    def exists(self, originator_id: UUID) -> bool:
        return bool(self.recorder.select_events(originator_id, limit=1))

    def notifications(self, after: int, limit: int) -> list[tuple[int, Event]]:
        """Events in the store's notification order with ids greater than `after`."""
        found = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [(n.id, self.mapper.to_domain_event(n)) for n in found]

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    def ping(self) -> None:
        self.recorder.max_notification_id()


def open_event_store(location: StoreLocation, master_key: bytes) -> EventStore:
    factory = construct_factory(location, APPLICATION_NAME)
    recorder = factory.application_recorder()
    datastore = recorder.datastore  # type: ignore[attr-defined]
    keys = KeyStore(SqlRunner(datastore, location.dialect), master_key)
    return EventStore(recorder, PiiMapper(keys), keys, location.dialect)


__all__ = ["EventStore", "IntegrityError", "StoreLocation", "open_event_store", "store_location"]
