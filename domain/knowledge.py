"""Knowledge articles: the pure decisions (write a version, rate) and the text
rules of search and suggestion.

Search and suggestion share one tokeniser: words of two letters or more,
lower-cased, accents folded (so "Gerät" matches "gerat" and "GERÄT"), with the
commonest German and English function words left out. An article is suggested
for a case by how many of the case's words it holds, the title's counting
double; that is plain, explainable and needs no index beyond the words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events import Event, KnowledgeArticleRated, KnowledgeArticleWritten

_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
_STOP = (
    "the and for you your with this that are was not but have has can our from how what"
    " der die das und ist ein eine einer mit fur den dem des nicht ich sie wir ihr mein"
    " meine ihre auf bei von zu im in es er sind war wie was oder aber auch noch nur"
)
STOP_WORDS = frozenset(_STOP.split())  # as `terms` sees them: folded, "für" is "fur"
MAX_TERMS = 2000


class ArticleNotFound(LookupError):
    """No article has this id (404)."""


class StaleRevision(ValueError):
    """The edit was based on an older version than the article's (409)."""


def fold_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")


def terms(text: str) -> list[str]:
    """The searchable words of a text, in order of first appearance, once each."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold_text(text)):
        if word not in STOP_WORDS and not word.isdigit():
            seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


@dataclass(frozen=True)
class ArticleState:
    article_id: UUID
    revision: int
    title: str
    language: str
    owner: str
    version: int  # of the stream (revisions and ratings)


def fold(history: Iterable[Event]) -> ArticleState | None:
    state: ArticleState | None = None
    for event in history:
        if isinstance(event, KnowledgeArticleWritten):
            state = ArticleState(
                event.originator_id,
                event.revision,
                event.title,
                event.language,
                event.owner,
                event.originator_version,
            )
        elif isinstance(event, KnowledgeArticleRated) and state is not None:
            state = ArticleState(
                state.article_id,
                state.revision,
                state.title,
                state.language,
                state.owner,
                event.originator_version,
            )
    return state


@dataclass(frozen=True)
class Draft:
    title: str
    body_markdown: str
    language: str
    tags: tuple[str, ...]
    owner: str


def write(
    state: ArticleState | None,
    article_id: UUID,
    draft: Draft,
    *,
    base_revision: int | None,
    by: str,
    event_id: UUID,
    now: datetime,
) -> KnowledgeArticleWritten:
    """A new version; `base_revision` (the version the editor started from)
    must be the current one, so a concurrent edit is not silently overwritten."""
    if state is not None and base_revision is not None and base_revision != state.revision:
        raise StaleRevision(
            f"the article is at revision {state.revision}, the edit was based on {base_revision}"
        )
    return KnowledgeArticleWritten(
        event_id=event_id,
        originator_id=article_id,
        originator_version=(state.version + 1) if state else 1,
        occurred_at=now,
        recorded_at=now,
        revision=(state.revision + 1) if state else 1,
        title=draft.title,
        body_markdown=draft.body_markdown,
        language=draft.language,
        tags=tuple(sorted({t.strip().lower() for t in draft.tags if t.strip()})),
        owner=draft.owner,
        by=by,
    )


def rate(
    state: ArticleState | None,
    *,
    helpful: bool,
    by: str,
    complaint_id: UUID | None,
    event_id: UUID,
    now: datetime,
) -> KnowledgeArticleRated:
    if state is None:
        raise ArticleNotFound("no such article")
    return KnowledgeArticleRated(
        event_id=event_id,
        originator_id=state.article_id,
        originator_version=state.version + 1,
        occurred_at=now,
        recorded_at=now,
        helpful=helpful,
        by=by,
        complaint_id=str(complaint_id) if complaint_id else None,
    )


@dataclass(frozen=True)
class Suggestion:
    article_id: str
    score: int
    matched: tuple[str, ...]


def suggest(
    case_text: str, candidates: Iterable[tuple[str, set[str], set[str]]], limit: int = 5
) -> list[Suggestion]:
    """Articles for a case, best first: `candidates` are (article id, title
    words, body words). A title word counts two, a body word one; ties go to the
    article matching more distinct words, then by id (stable)."""
    wanted = set(terms(case_text))
    found: list[Suggestion] = []
    for article_id, title, body in candidates:
        matched = wanted & (title | body)
        if not matched:
            continue
        score = 2 * len(wanted & title) + len(matched - title)
        found.append(Suggestion(article_id, score, tuple(sorted(matched))))
    found.sort(key=lambda s: (-s.score, -len(s.matched), s.article_id))
    return found[:limit]
