"""Survey answers: an SMS reply the satisfaction view found, or a click on a
signed rating link. One answer per survey: `SurveyAnswered` is appended at the
survey stream's next version only if the stream holds none, and the store's
unique (stream, version) settles a race between two clicks.

Kept apart from the survey worker so the gateway, which serves the rating
links, needs only the event store for them, no read model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID, uuid4

from domain import satisfaction as domain
from events import Event, SmsReceived, SurveyAnswered, SurveySent
from services.app.intake.recorder import Recorder
from services.app.operative.streams import decide_and_append
from services.infra.eventstore import EventStore


class SurveyNotFound(LookupError):
    """No survey has this id (404)."""


class SurveyAnswers:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        *,
        link_secret: bytes,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.link_secret = link_secret
        self.clock = clock

    def record_reply(self, survey_id: UUID, interaction_id: UUID) -> bool:
        """Records the SMS reply the view found as the survey's answer; False if
        it is none (any more)."""
        message = next(
            (e for e in self.store.stream(interaction_id) if isinstance(e, SmsReceived)), None
        )
        if message is None:
            return False
        survey = domain.open_survey(self.store.stream(survey_id))
        reply = (
            None
            if survey is None
            else domain.answers(survey, message.channel, message.body, message.occurred_at)
        )
        if survey is None or reply is None:
            return False
        return self._answer(survey, reply.score, reply.comment, message.occurred_at, interaction_id)

    def answer_by_link(self, token: str, score: int) -> tuple[UUID, int, bool]:
        """The one-click rating: (survey, the score recorded, whether this click
        recorded it). ForgedLink / ExpiredLink as the domain says; a second click
        records nothing and reports the first answer."""
        link = domain.read_rating_link(self.link_secret, token, score, self.clock())
        history = self.store.stream(link.survey_id)
        if not history or not isinstance(history[0], SurveySent):
            raise SurveyNotFound(f"no survey {link.survey_id}")
        answered = next((e for e in history if isinstance(e, SurveyAnswered)), None)
        if answered is not None:
            return link.survey_id, answered.score, False
        survey = history[0]
        recorded = self._answer(survey, link.score, "", self.clock(), None)
        if not recorded:
            answered = next(
                e for e in self.store.stream(link.survey_id) if isinstance(e, SurveyAnswered)
            )
            return link.survey_id, answered.score, False
        return link.survey_id, link.score, True

    def _answer(
        self,
        survey: SurveySent,
        score: int,
        comment: str,
        at: datetime,
        interaction_id: UUID | None,
    ) -> bool:
        recorded = False

        def decide(history: list[Event]) -> list[Event]:
            nonlocal recorded
            if any(isinstance(e, SurveyAnswered) for e in history):
                recorded = False
                return []  # one answer per survey: the first stands
            recorded = True
            return [
                SurveyAnswered(
                    event_id=uuid4(),
                    originator_id=survey.originator_id,
                    originator_version=history[-1].originator_version + 1,
                    customer_id=survey.customer_id,
                    occurred_at=at,
                    recorded_at=self.clock(),
                    causation_id=interaction_id,
                    kind=survey.kind,
                    score=score,
                    channel=survey.channel,
                    interaction_id=interaction_id,
                    comment=comment,
                )
            ]

        decide_and_append(self.store, self.recorder, survey.originator_id, decide)
        return recorded
