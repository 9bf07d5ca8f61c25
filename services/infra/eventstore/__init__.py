"""The event store: eventsourcing's recorders, with a mapper that encrypts
personal data under a per-customer key."""

from services.infra.eventstore.keys import KeyStore, master_key_from
from services.infra.eventstore.mapper import PiiMapper
from services.infra.eventstore.store import EventStore, open_event_store

__all__ = ["EventStore", "KeyStore", "PiiMapper", "master_key_from", "open_event_store"]
