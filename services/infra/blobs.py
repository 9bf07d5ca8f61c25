"""Content-addressed storage for raw messages and attachments.

A blob's name is the SHA-256 of its bytes, so the same message delivered twice
is stored once, and a stored blob can be checked against the hash an event
holds. Embedded: files under data_dir/blobs; PostgreSQL: a table in the event
store's database.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

from services.infra.sql import SqlRunner


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Stores the bytes durably (once) and returns their SHA-256."""
        ...

    def get(self, sha256: str) -> bytes | None: ...

    def delete(self, sha256: str) -> bool:
        """Removes the blob (an erasure); whether there was one."""
        ...


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileBlobStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, data: bytes) -> str:
        digest = _digest(data)
        path = self.folder / digest
        if path.exists():
            return digest
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write aside, sync, then rename: a crash never leaves a partial blob under its name.
        temp = self.folder / f".{digest}.{os.getpid()}.tmp"
        with open(temp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return digest

    def get(self, sha256: str) -> bytes | None:
        path = self.folder / sha256
        return path.read_bytes() if len(sha256) == 64 and path.exists() else None

    def delete(self, sha256: str) -> bool:
        path = self.folder / sha256
        if len(sha256) != 64 or not path.exists():
            return False
        path.unlink()
        return True


class SqlBlobStore:
    def __init__(self, db: SqlRunner) -> None:
        self.db = db
        column = "BYTEA" if db.dialect == "postgres" else "BLOB"
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_blobs ("
                f" sha256 TEXT PRIMARY KEY, data {column} NOT NULL)"
            )

    def put(self, data: bytes) -> str:
        digest = _digest(data)
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_blobs (sha256, data) VALUES (%(h)s, %(d)s)"
                " ON CONFLICT (sha256) DO NOTHING",
                {"h": digest, "d": data},
            )
        return digest

    def get(self, sha256: str) -> bytes | None:
        rows = self.db.query(
            "SELECT data FROM contacthub_blobs WHERE sha256 = %(h)s", {"h": sha256}
        )
        return bytes(rows[0]["data"]) if rows else None

    def delete(self, sha256: str) -> bool:
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "DELETE FROM contacthub_blobs WHERE sha256 = %(h)s RETURNING sha256",
                {"h": sha256},
            )
            return cursor.fetchone() is not None

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) AS n FROM contacthub_blobs")[0]["n"])
