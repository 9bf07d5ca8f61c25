"""Per-customer data keys (crypto-shredding; docs/ARCHITECTURE.md, guarantees).

Each customer's personal data in stored events is encrypted with that
customer's own AES-256-GCM key. The keys live in the event store's database,
wrapped by the hub's master key; erasing a customer destroys the key and keeps
a tombstone so that it is never silently re-created.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.infra.sql import SqlRunner

_CREATE = """
CREATE TABLE IF NOT EXISTS contacthub_customer_keys (
    customer_id TEXT PRIMARY KEY,
    wrapped_key BYTEA,
    erased_at TEXT
)
"""


class KeyErased(LookupError):
    """The customer's key was destroyed: their personal data is gone for good."""


def master_key_from(value: str | None, data_dir: Path) -> bytes:
    """The configured master key (base64 of 32 bytes), or the data folder's own.

    The embedded default generates one on first start (mode 0600), so a new
    user needs no setup; production sets CONTACTHUB_MASTER_KEY.
    """
    if value:
        key = base64.b64decode(value)
        if len(key) != 32:
            raise ValueError("CONTACTHUB_MASTER_KEY must be base64 of exactly 32 bytes")
        return key
    path = data_dir / "master.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(base64.b64encode(AESGCM.generate_key(bit_length=256)))
    return base64.b64decode(path.read_bytes().strip())


def derive_key(master_key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose (e.g. the address hash), so the master key
    itself is used for one thing only: wrapping customer keys."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master_key
    )


class KeyStore:
    def __init__(self, db: SqlRunner, master_key: bytes) -> None:
        self._db = db
        self._wrapper = AESGCM(derive_key(master_key, "customer-key-wrapping"))
        self._cache: dict[UUID, AESGCM] = {}
        # Customers being erased: their key is read from the database each time.
        self._uncached: set[UUID] = set()
        self._lock = threading.Lock()
        create = _CREATE if db.dialect == "postgres" else _CREATE.replace("BYTEA", "BLOB")
        with db.transaction(commit=True) as cursor:
            cursor.execute(create)

    def for_writing(self, customer_id: UUID) -> AESGCM:
        """The customer's key, created on first use."""
        cipher = self._cache.get(customer_id)
        if cipher is not None:
            return cipher
        wrapped = self._load(customer_id)
        if wrapped is None:
            new_key = AESGCM.generate_key(bit_length=256)
            nonce = os.urandom(12)
            blob = nonce + self._wrapper.encrypt(nonce, new_key, customer_id.bytes)
            with self._db.transaction(commit=True) as cursor:
                # Two writers racing for a new customer: the first key wins and
                # both read it back, so no event is encrypted with a lost key.
                self._db.run(
                    cursor,
                    "INSERT INTO contacthub_customer_keys (customer_id, wrapped_key) "
                    "VALUES (%(id)s, %(key)s) ON CONFLICT (customer_id) DO NOTHING",
                    {"id": str(customer_id), "key": blob},
                )
            wrapped = self._load(customer_id)
            assert wrapped is not None
        return self._remember(customer_id, wrapped)

    def prepare(self, customer_ids: Iterable[UUID]) -> None:
        """Loads (creating the missing) keys of many customers in two queries, so
        a batch of first contacts does not cost one transaction per customer."""
        wanted = [c for c in dict.fromkeys(customer_ids) if c not in self._cache]
        if not wanted:
            return
        found = self._preload(wanted)
        missing = [c for c in wanted if c not in found]
        if not missing:
            return
        new_rows = []
        for customer_id in missing:
            nonce = os.urandom(12)
            key = AESGCM.generate_key(bit_length=256)
            blob = nonce + self._wrapper.encrypt(nonce, key, customer_id.bytes)
            new_rows.append({"id": str(customer_id), "key": blob})
        with self._db.transaction(commit=True) as cursor:
            self._db.run_many(
                cursor,
                "INSERT INTO contacthub_customer_keys (customer_id, wrapped_key) "
                "VALUES (%(id)s, %(key)s) ON CONFLICT (customer_id) DO NOTHING",
                new_rows,
            )
        # Read back: where another writer won a race, its key is the one to use.
        self.prepare(missing)

    def preload(self, customer_ids: Iterable[UUID]) -> None:
        """Loads the existing keys of many customers in one query (per 500), for
        reading a page of events: a replay otherwise asks once per customer.
        Creates nothing; an erased or unknown key is left to `for_reading`."""
        wanted = [c for c in dict.fromkeys(customer_ids) if c not in self._cache]
        if wanted:
            self._preload(wanted)

    def _preload(self, wanted: list[UUID]) -> set[UUID]:
        """Caches the live keys among `wanted`; returns every id that has a row."""
        rows = []
        for start in range(0, len(wanted), 500):  # SQLite's limit on parameters
            chunk = wanted[start : start + 500]
            rows += self._db.query(
                "SELECT customer_id, wrapped_key, erased_at FROM contacthub_customer_keys"
                " WHERE customer_id IN (" + ", ".join(f"%(c{i})s" for i in range(len(chunk))) + ")",
                {f"c{i}": str(c) for i, c in enumerate(chunk)},
            )
        for row in rows:
            if row["erased_at"] is None:
                self._remember(UUID(row["customer_id"]), bytes(row["wrapped_key"]))
        return {UUID(row["customer_id"]) for row in rows}

    def for_reading(self, customer_id: UUID) -> AESGCM:
        """The customer's key; KeyErased if it was destroyed (or never existed)."""
        cipher = self._cache.get(customer_id)
        if cipher is not None:
            return cipher
        wrapped = self._load(customer_id)
        if wrapped is None:
            raise KeyErased(str(customer_id))
        return self._remember(customer_id, wrapped)

    def destroy(self, customer_id: UUID, erased_at: str) -> None:
        with self._db.transaction(commit=True) as cursor:
            self._db.run(
                cursor,
                "INSERT INTO contacthub_customer_keys (customer_id, wrapped_key, erased_at) "
                "VALUES (%(id)s, NULL, %(at)s) ON CONFLICT (customer_id) "
                "DO UPDATE SET wrapped_key = NULL, erased_at = %(at)s",
                {"id": str(customer_id), "at": erased_at},
            )
        with self._lock:
            self._cache.pop(customer_id, None)

    def is_destroyed(self, customer_id: UUID) -> bool:
        """Whether the customer's key was destroyed (its tombstone exists)."""
        rows = self._db.query(
            "SELECT erased_at FROM contacthub_customer_keys WHERE customer_id = %(id)s",
            {"id": str(customer_id)},
        )
        return bool(rows) and rows[0]["erased_at"] is not None

    def forget(self, customer_id: UUID) -> None:
        """Drops the cached key of a customer being erased (seen in the erasure
        event) and never caches it again: another process destroys the key,
        perhaps a moment after the event, and this one must then read the
        customer as erased too."""
        with self._lock:
            self._cache.pop(customer_id, None)
            self._uncached.add(customer_id)

    def _load(self, customer_id: UUID) -> bytes | None:
        rows = self._db.query(
            "SELECT wrapped_key, erased_at FROM contacthub_customer_keys "
            "WHERE customer_id = %(id)s",
            {"id": str(customer_id)},
        )
        if not rows:
            return None
        if rows[0]["erased_at"] is not None:
            raise KeyErased(str(customer_id))
        return bytes(rows[0]["wrapped_key"])

    def _remember(self, customer_id: UUID, wrapped: bytes) -> AESGCM:
        key = self._wrapper.decrypt(wrapped[:12], wrapped[12:], customer_id.bytes)
        cipher = AESGCM(key)
        with self._lock:
            if customer_id not in self._uncached:
                self._cache[customer_id] = cipher
        return cipher
