"""Webhook tokens seen before, remembered durably (Mailgun's replay protection).

Mailgun's signature covers only timestamp and token, so a captured request
could be replayed with another message inside its freshness window. A token is
claimed atomically before the message is recorded and released again if it
could not be recorded, so the provider's own retry is not refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.infra.sql import SqlRunner

# Longer than any timestamp the freshness check lets through.
KEEP = timedelta(days=1)
PRUNE_EVERY = 1000


class WebhookTokens:
    def __init__(self, db: SqlRunner, provider: str) -> None:
        self.db = db
        self.provider = provider
        self._claims = 0
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_webhook_tokens ("
                " provider TEXT NOT NULL, token TEXT NOT NULL, seen_at TEXT NOT NULL,"
                " PRIMARY KEY (provider, token))"
            )

    def claim(self, token: str, now: datetime) -> bool:
        """True if the token is new (and is now taken); False if it was used before."""
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_webhook_tokens (provider, token, seen_at)"
                " VALUES (%(p)s, %(t)s, %(at)s) ON CONFLICT (provider, token) DO NOTHING"
                " RETURNING token",
                {"p": self.provider, "t": token, "at": now.isoformat()},
            )
            fresh = bool(cursor.fetchall())
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.prune(now)
        return fresh

    def release(self, token: str) -> None:
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "DELETE FROM contacthub_webhook_tokens WHERE provider = %(p)s AND token = %(t)s",
                {"p": self.provider, "t": token},
            )

    def prune(self, now: datetime) -> None:
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "DELETE FROM contacthub_webhook_tokens WHERE seen_at < %(cutoff)s",
                {"cutoff": (now - KEEP).isoformat()},
            )
