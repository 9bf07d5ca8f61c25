"""The knowledge base read model: each article's current version, its helpful
counts, and its words (`knowledge_terms`) for full-text search and suggestions.

The words are the domain's tokeniser's (`domain.knowledge.terms`), kept in a
plain table so that search works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.knowledge import terms
from events import Event, KnowledgeArticleRated, KnowledgeArticleWritten
from projections.opportunities import iso
from projections.sql import Cursor, Sql
from projections.view import SqlView

MAX_QUERY_TERMS = 20


class KnowledgeBase(SqlView):
    name = "knowledge"
    tables: ClassVar[dict[str, str]] = {
        "knowledge_articles": "article_id",
        "knowledge_terms": "article_id, term",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS knowledge_articles ("
        " article_id TEXT PRIMARY KEY, revision BIGINT NOT NULL, title TEXT NOT NULL,"
        " body_markdown TEXT NOT NULL, language TEXT NOT NULL, tags TEXT NOT NULL,"
        " owner TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " updated_by TEXT NOT NULL, helpful BIGINT NOT NULL, unhelpful BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS knowledge_terms ("
        " article_id TEXT NOT NULL, term TEXT NOT NULL, in_title BIGINT NOT NULL,"
        " PRIMARY KEY (article_id, term))",
        "CREATE INDEX IF NOT EXISTS knowledge_terms_term ON knowledge_terms (term)",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, KnowledgeArticleWritten):
                self._written(cursor, event)
            elif isinstance(event, KnowledgeArticleRated):
                column = "helpful" if event.helpful else "unhelpful"
                self.db.run(
                    cursor,
                    f"UPDATE knowledge_articles SET {column} = {column} + 1"
                    " WHERE article_id = %(id)s",
                    {"id": str(event.originator_id)},
                )

    def _written(self, cursor: Cursor, event: KnowledgeArticleWritten) -> None:
        key = str(event.originator_id)
        row = {
            "id": key,
            "revision": event.revision,
            "title": event.title,
            "body": event.body_markdown,
            "language": event.language,
            "tags": orjson.dumps(list(event.tags)).decode(),
            "owner": event.owner,
            "at": iso(event.occurred_at),
            "by": event.by,
        }
        self.db.run(
            cursor,
            "INSERT INTO knowledge_articles (article_id, revision, title, body_markdown,"
            " language, tags, owner, created_at, updated_at, updated_by, helpful, unhelpful)"
            " VALUES (%(id)s, %(revision)s, %(title)s, %(body)s, %(language)s, %(tags)s,"
            " %(owner)s, %(at)s, %(at)s, %(by)s, 0, 0) ON CONFLICT (article_id) DO UPDATE SET"
            " revision = excluded.revision, title = excluded.title,"
            " body_markdown = excluded.body_markdown, language = excluded.language,"
            " tags = excluded.tags, owner = excluded.owner, updated_at = excluded.updated_at,"
            " updated_by = excluded.updated_by",
            row,
        )
        self.db.run(cursor, "DELETE FROM knowledge_terms WHERE article_id = %(id)s", {"id": key})
        title = set(terms(event.title))
        words = dict.fromkeys([*terms(event.title), *terms(event.body_markdown), *event.tags])
        self.db.run_many(
            cursor,
            "INSERT INTO knowledge_terms (article_id, term, in_title)"
            " VALUES (%(id)s, %(term)s, %(title)s) ON CONFLICT (article_id, term) DO NOTHING",
            [{"id": key, "term": w, "title": int(w in title)} for w in words],
        )

    # Queries -------------------------------------------------------------

    def get(self, article_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM knowledge_articles WHERE article_id = %(id)s", {"id": str(article_id)}
        )
        return rows[0] if rows else None

    def search(
        self,
        words: Sequence[str],
        *,
        language: str | None = None,
        tag: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Articles holding every word (none: all), most helpful first."""
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        words = list(dict.fromkeys(words))[:MAX_QUERY_TERMS]
        if words:
            names = [f"%(w{i})s" for i in range(len(words))]
            params.update({f"w{i}": w for i, w in enumerate(words)})
            params["n"] = len(words)
            clauses.append(
                "article_id IN (SELECT article_id FROM knowledge_terms"
                f" WHERE term IN ({', '.join(names)}) GROUP BY article_id"
                " HAVING count(*) = %(n)s)"
            )
        if language is not None:
            clauses.append("language = %(language)s")
            params["language"] = language
        if tag is not None:
            clauses.append(
                "article_id IN (SELECT article_id FROM knowledge_terms WHERE term = %(tag)s)"
            )
            params["tag"] = tag.lower()
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.db.query(
            f"SELECT * FROM knowledge_articles {where}"
            " ORDER BY helpful - unhelpful DESC, updated_at DESC, article_id"
            " LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        if tag is None:
            return rows
        return [r for r in rows if tag.lower() in orjson.loads(r["tags"])]

    def candidates(self, words: Sequence[str]) -> list[tuple[str, set[str], set[str]]]:
        """Articles sharing any of the words, each with its matching title and
        body words (what `domain.knowledge.suggest` ranks)."""
        words = list(dict.fromkeys(words))[:200]
        if not words:
            return []
        names = ", ".join(f"%(w{i})s" for i in range(len(words)))
        rows = self.db.query(
            f"SELECT article_id, term, in_title FROM knowledge_terms WHERE term IN ({names})",
            {f"w{i}": w for i, w in enumerate(words)},
        )
        found: dict[str, tuple[set[str], set[str]]] = {}
        for row in rows:
            title, body = found.setdefault(row["article_id"], (set(), set()))
            (title if row["in_title"] else body).add(row["term"])
        return [(article_id, title, body) for article_id, (title, body) in found.items()]


class KnowledgeBaseSQLite(KnowledgeBase, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class KnowledgeBasePostgres(KnowledgeBase, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
