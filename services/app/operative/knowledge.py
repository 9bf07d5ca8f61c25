"""The knowledge base as commands (write a version, rate it) and the
suggestions for a complaint case, from the case's own text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain import complaints, knowledge
from domain.complaints import CaseNotFound
from domain.knowledge import ArticleNotFound, ArticleState, Draft, Suggestion
from events import ComplaintOpened, CustomerReplied, Event
from projections.knowledge import KnowledgeBase
from services.app.intake.recorder import Recorder
from services.app.interactions import Interactions
from services.app.operative.streams import decide_and_append
from services.infra.eventstore import EventStore


class KnowledgeDesk:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        view: KnowledgeBase,
        interactions: Interactions,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.view = view
        self.interactions = interactions
        self.clock = clock

    def write(
        self,
        article_id: UUID,
        draft: Draft,
        *,
        by: str,
        base_revision: int | None,
        must_exist: bool,
    ) -> tuple[ArticleState, int]:
        """A new version; `must_exist` for edits (404 for an unknown article)."""

        def decide(history: list[Event]) -> list[Event]:
            state = knowledge.fold(history)
            if state is None and must_exist:
                raise ArticleNotFound(f"no article {article_id}")
            return [
                knowledge.write(
                    state,
                    article_id,
                    draft,
                    base_revision=base_revision,
                    by=by,
                    event_id=uuid4(),
                    now=self.clock(),
                )
            ]

        history, notification = decide_and_append(self.store, self.recorder, article_id, decide)
        state = knowledge.fold(history)
        assert state is not None
        return state, notification

    def rate(self, article_id: UUID, *, helpful: bool, by: str, complaint_id: UUID | None) -> int:
        def decide(history: list[Event]) -> list[Event]:
            return [
                knowledge.rate(
                    knowledge.fold(history),
                    helpful=helpful,
                    by=by,
                    complaint_id=complaint_id,
                    event_id=uuid4(),
                    now=self.clock(),
                )
            ]

        return decide_and_append(self.store, self.recorder, article_id, decide)[1]

    def case_text(self, complaint_id: UUID) -> str:
        """A case's subject and the text of the customer's messages on it."""
        history = self.store.stream(complaint_id)
        if complaints.fold(history) is None:
            raise CaseNotFound(f"no complaint {complaint_id}")
        parts: list[str] = []
        for event in history:
            if isinstance(event, ComplaintOpened):
                parts.append(event.subject)
                if event.interaction_id is not None:
                    parts.append(self.interactions.content(event.interaction_id).body or "")
            elif isinstance(event, CustomerReplied):
                parts.append(self.interactions.content(event.interaction_id).body or "")
        return "\n".join(p for p in parts if p)

    def suggestions(
        self, complaint_id: UUID, limit: int = 5
    ) -> list[tuple[Suggestion, dict[str, Any]]]:
        """The articles matching the case's words, best first, with their rows."""
        text = self.case_text(complaint_id)
        ranked = knowledge.suggest(text, self.view.candidates(knowledge.terms(text)), limit)
        found = []
        for suggestion in ranked:
            row = self.view.get(UUID(suggestion.article_id))
            if row is not None:
                found.append((suggestion, row))
        return found
