"""Satisfaction surveys, purely: reading a reply as a score, the signed rating
links of survey emails, the survey texts, and the CSAT and NPS figures.

CSAT asks for 1-5 and counts the share of 4s and 5s; NPS asks for 0-10 and is
the percentage of promoters (9-10) minus that of detractors (0-6). A reply is a
score only if it starts with a number in the survey's range ("4", " 4 ",
"4 - great"); anything else ("45", "thanks", "STOP") is no answer, and the
message stays an ordinary inbound message.

A rating link names the survey, the score and when it expires, and carries
the hub's link signature over all three (`domain.unsubscribe.sign`, under the
purpose "survey:"), so changing the score, the survey or the expiry breaks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from domain.reports import Cell, Table
from domain.unsubscribe import sign, sign_valid
from events import Event, SurveyAnswered, SurveyKind, SurveySent

PATH = "/survey"
SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10)}
GROUPINGS = ("queue", "agent", "product", "channel")
Grouping = Literal["queue", "agent", "product", "channel"]
Period = Literal["day", "week", "month"]

# A number at the start, then the end or a separator before an optional comment.
_REPLY = re.compile(r"^\s*(\d{1,2})(?:\s*(?:$|[-\u2013\u2014:.,;!)/]|\s)\s*(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    score: int
    comment: str


def parse_reply(text: str, kind: SurveyKind) -> Reply | None:
    """The score a reply gives on the survey's scale, or None if it gives none."""
    found = _REPLY.match(text)
    if found is None:
        return None
    score = int(found.group(1))
    low, high = SCALES[kind]
    if not low <= score <= high:
        return None
    return Reply(score, (found.group(2) or "").strip()[:500])


def open_survey(history: Sequence[Event]) -> SurveySent | None:
    """The survey of this stream if it went out and is not answered yet."""
    sent = next((e for e in history if isinstance(e, SurveySent)), None)
    if sent is None or any(isinstance(e, SurveyAnswered) for e in history):
        return None
    return sent


def answers(survey: SurveySent, channel: str, text: str, at: datetime) -> Reply | None:
    """The reply's score if a message on `channel` at `at` answers the survey."""
    if channel != survey.channel or not survey.occurred_at <= at <= survey.expires_at:
        return None
    return parse_reply(text, survey.kind)


# Texts ---------------------------------------------------------------------------


def question(kind: SurveyKind, case_number: str | None = None) -> str:
    if kind == "nps":
        return "How likely are you to recommend us to a friend or colleague?"
    about = f" your case {case_number}" if case_number else " your request"
    return f"How satisfied are you with how we handled{about}?"


def sms_text(kind: SurveyKind, case_number: str | None = None) -> str:
    if kind == "nps":
        return f"{question(kind)} Reply 0 (not at all likely) to 10 (extremely likely)."
    return f"{question(kind, case_number)} Reply 1 (very dissatisfied) to 5 (very satisfied)."


# Signed rating links ---------------------------------------------------------------


class ForgedLink(ValueError):
    """The link's signature does not match its survey, score and expiry."""


class ExpiredLink(ValueError):
    """The link was genuine but its survey no longer takes answers."""


@dataclass(frozen=True)
class RatingLink:
    survey_id: UUID
    score: int
    expires: int  # seconds since the epoch


def _message(survey_id: UUID, score: int, expires: int) -> str:
    return f"survey:{survey_id}:{score}:{expires}"


def rating_token(secret: bytes, survey_id: UUID, score: int, expires: int) -> str:
    return f"{survey_id}.{expires}.{sign(secret, _message(survey_id, score, expires))}"


def rating_url(public_url: str, secret: bytes, survey_id: UUID, score: int, expires: int) -> str:
    token = rating_token(secret, survey_id, score, expires)
    return f"{public_url.rstrip('/')}{PATH}/{token}?score={score}"


def read_rating_link(secret: bytes, token: str, score: int, now: datetime) -> RatingLink:
    """The link's survey and score; ForgedLink if anything in it was changed,
    ExpiredLink if it is genuine but past its expiry (checked in that order, so
    a forged expiry is a forgery)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ForgedLink("the rating link is malformed")
    survey, expires_text, signature = parts
    try:
        survey_id = UUID(survey)
        expires = int(expires_text)
    except ValueError:
        raise ForgedLink("the rating link is malformed") from None
    if not sign_valid(secret, _message(survey_id, score, expires), signature):
        raise ForgedLink("the rating link's signature does not match")
    if now.timestamp() > expires:
        raise ExpiredLink("this survey has closed")
    return RatingLink(survey_id, score, expires)


# Figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answered survey, as the analytics group it."""

    kind: SurveyKind
    score: int
    answered_at: datetime
    channel: str
    queue: str | None = None
    agent: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class Csat:
    responses: int
    satisfied: int  # 4 or 5

    @property
    def score(self) -> float | None:
        """The percentage of satisfied answers (None without answers)."""
        return round(100 * self.satisfied / self.responses, 1) if self.responses else None


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int  # 9-10
    passives: int  # 7-8
    detractors: int  # 0-6

    @property
    def score(self) -> float | None:
        """Promoters minus detractors, in percent of the answers (-100 to 100)."""
        if not self.responses:
            return None
        return round(100 * (self.promoters - self.detractors) / self.responses, 1)


def csat(scores: Iterable[int]) -> Csat:
    values = list(scores)
    return Csat(len(values), sum(1 for s in values if s >= 4))


def nps(scores: Iterable[int]) -> Nps:
    values = list(scores)
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    return Nps(len(values), promoters, len(values) - promoters - detractors, detractors)


def period_of(at: datetime, period: Period) -> str:
    """2026-12 (month), 2026-W49 (ISO week) or 2026-12-02 (day), in UTC as stored."""
    if period == "day":
        return f"{at:%Y-%m-%d}"
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{at:%Y-%m}"


@dataclass(frozen=True)
class Group:
    period: str
    group: str  # the queue, agent, product or channel; "-" for none
    csat: Csat
    nps: Nps


def group_answers(answers: Iterable[Answer], by: Grouping, period: Period) -> list[Group]:
    """CSAT and NPS per period and group, in period then group order."""
    buckets: dict[tuple[str, str], list[Answer]] = {}
    for answer in answers:
        key = (period_of(answer.answered_at, period), getattr(answer, by) or "-")
        buckets.setdefault(key, []).append(answer)
    return [
        Group(
            period=key[0],
            group=key[1],
            csat=csat(a.score for a in found if a.kind == "csat"),
            nps=nps(a.score for a in found if a.kind == "nps"),
        )
        for key, found in sorted(buckets.items())
    ]


def totals(answers: Iterable[Answer]) -> tuple[Csat, Nps]:
    found = list(answers)
    return (
        csat(a.score for a in found if a.kind == "csat"),
        nps(a.score for a in found if a.kind == "nps"),
    )


def chart_table(groups: Sequence[Group], kind: SurveyKind) -> Table:
    """The figures as a report table whose chart stacks each bar's answers:
    satisfied and other for CSAT; promoters, passives, detractors for NPS."""
    if kind == "nps":
        rows: list[tuple[Cell, ...]] = [
            (
                f"{g.period} {g.group}",
                g.nps.promoters,
                g.nps.passives,
                g.nps.detractors,
                "" if g.nps.score is None else g.nps.score,
            )
            for g in groups
            if g.nps.responses
        ]
        return Table(
            "NPS answers by period and group",
            ("bar", "promoters", "passives", "detractors", "nps"),
            rows,
            label="bar",
            series=("promoters", "passives", "detractors"),
            notes={"nps": "promoters (9-10) minus detractors (0-6), in % of answers"},
        )
    rows = [
        (
            f"{g.period} {g.group}",
            g.csat.satisfied,
            g.csat.responses - g.csat.satisfied,
            "" if g.csat.score is None else g.csat.score,
        )
        for g in groups
        if g.csat.responses
    ]
    return Table(
        "CSAT answers by period and group",
        ("bar", "satisfied", "other", "csat"),
        rows,
        label="bar",
        series=("satisfied", "other"),
        notes={"csat": "answers of 4 or 5, in % of answers"},
    )


def totals_by(answers: Iterable[Answer], by: Grouping) -> list[tuple[str, Csat, Nps]]:
    """CSAT and NPS per group over all periods, in group order."""
    buckets: dict[str, list[Answer]] = {}
    for answer in answers:
        buckets.setdefault(getattr(answer, by) or "-", []).append(answer)
    return [(group, *totals(found)) for group, found in sorted(buckets.items())]
