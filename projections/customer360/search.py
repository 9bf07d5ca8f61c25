"""The customer search index: what an agent may type, folded, one row per
searchable text (a name, an address, a message, a letter, a transcript).

The index is part of the customer 360 read model: written in the same
transaction as the rows it describes, scrubbed on erasure, rebuilt by replay.
Each store indexes substrings its own way, both behind the same `LIKE` query:
PostgreSQL with a pg_trgm GIN index, SQLite with an FTS5 trigram table kept in
step by triggers. A search term of three characters or more is found through
the index; a shorter one still matches, by a scan.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

# German transliteration first ("Müller" = "Mueller"); NFKD then drops the
# accents of other languages ("José" = "Jose"). anyascii would turn "ü" into
# "u", which is not how a German agent spells a name he heard on the phone.
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case, German umlauts spelled out, accents dropped, and no control,
    format, surrogate or unassigned characters: nobody types them, and a NUL
    in a LIKE pattern crashed SQLite 3.40's FTS5 trigram index (a fuzzed
    query found it)."""
    lowered = text.casefold().translate(_GERMAN)  # casefold: "ß" is "ss" already
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(
        " " if unicodedata.category(c).startswith("C") else c
        for c in decomposed
        if not unicodedata.combining(c)
    )


def terms(text: str) -> list[str]:
    """The query's words, folded; a row matches if it holds every one, in any
    order ("Müller Anna" finds "Anna Müller"). LIKE's wildcards are dropped."""
    cleaned = fold(text).replace("%", "").replace("_", "").replace("\\", "")
    return [word for word in cleaned.split() if word]


SEARCH_COLUMNS = (
    ("doc_id", "text"),
    ("customer_id", "text"),
    ("words", "text"),
)
# A doc id names what the text belongs to, so a later event replaces it (a
# transcript that arrives after the call, an address linked to a new owner).
SEARCH_CONFLICT = (
    "ON CONFLICT (doc_id) DO UPDATE SET customer_id = excluded.customer_id, words = excluded.words"
)

SEARCH_TABLE = (
    "CREATE TABLE IF NOT EXISTS c360_search ("
    " doc_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, words TEXT NOT NULL)"
)
SEARCH_CUSTOMER_INDEX = (
    "CREATE INDEX IF NOT EXISTS c360_search_customer ON c360_search (customer_id)"
)
POSTGRES_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS c360_search_words ON c360_search USING gin (words gin_trgm_ops)"
)
# External content: the words are stored once (in c360_search), the FTS5 table
# holds only the trigram index; the triggers keep it in the same transaction.
SQLITE_STATEMENTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS c360_search_fts USING fts5("
    " words, content='c360_search', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS c360_search_ai AFTER INSERT ON c360_search BEGIN"
    " INSERT INTO c360_search_fts (rowid, words) VALUES (new.rowid, new.words); END",
    "CREATE TRIGGER IF NOT EXISTS c360_search_ad AFTER DELETE ON c360_search BEGIN"
    " INSERT INTO c360_search_fts (c360_search_fts, rowid, words)"
    " VALUES ('delete', old.rowid, old.words); END",
    "CREATE TRIGGER IF NOT EXISTS c360_search_au AFTER UPDATE ON c360_search BEGIN"
    " INSERT INTO c360_search_fts (c360_search_fts, rowid, words)"
    " VALUES ('delete', old.rowid, old.words);"
    " INSERT INTO c360_search_fts (rowid, words) VALUES (new.rowid, new.words); END",
)


def doc(doc_id: str, customer_id: str, *texts: str | None) -> dict[str, Any] | None:
    """One index row, or None when there is nothing to find."""
    words = fold(" ".join(t for t in texts if t))
    if not words.strip():
        return None
    return {"doc_id": doc_id, "customer_id": customer_id, "words": words}


def matching(dialect: str, words: Sequence[str], phone: str | None) -> tuple[str, dict[str, Any]]:
    """A subquery of the ids of the customers that a row matches: every word, or
    the phone number (E.164, from a national format the agent typed)."""
    params: dict[str, Any] = {f"w{n}": f"%{word}%" for n, word in enumerate(words)}
    selects = []
    if words:
        selects.append(_select(dialect, [(f"w{n}", word) for n, word in enumerate(words)]))
    if phone:
        params["phone"] = f"%{fold(phone)}%"
        selects.append(_select(dialect, [("phone", fold(phone))]))
    return " UNION ".join(selects), params


def _select(dialect: str, patterns: list[tuple[str, str]]) -> str:
    if dialect != "sqlite":
        where = " AND ".join(f"s.words LIKE %({name})s" for name, _ in patterns)
        return f"SELECT s.customer_id FROM c360_search s WHERE {where}"
    # FTS5 gets the words a trigram index can look up; a shorter word is
    # checked on the stored text. (SQLite 3.40 also crashes on a short LIKE
    # before a longer one on the same FTS5 column.)
    indexed = [name for name, word in patterns if len(word) >= 3]
    checked = [name for name, word in patterns if len(word) < 3]
    conditions = [f"f.words LIKE %({name})s" for name in indexed]
    conditions += [f"s.words LIKE %({name})s" for name in checked]
    source = (
        "c360_search_fts f JOIN c360_search s ON s.rowid = f.rowid" if indexed else "c360_search s"
    )
    return f"SELECT s.customer_id FROM {source} WHERE {' AND '.join(conditions)}"
