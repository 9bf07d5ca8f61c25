"""The satisfaction domain, purely: replies read as scores, CSAT and NPS against
hand-computed figures, grouping by period and group, and the rating links'
signatures (any change to survey, score or expiry is a forgery)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import satisfaction as s
from domain.unsubscribe import signature as unsubscribe_signature

SECRET = b"k" * 32
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "kind", "score", "comment"),
    [
        ("4", "csat", 4, ""),
        (" 4 ", "csat", 4, ""),
        ("4 - great", "csat", 4, "great"),
        ("5! thanks", "csat", 5, "thanks"),
        ("1\nslow answer", "csat", 1, "slow answer"),
        ("10", "nps", 10, ""),
        ("0", "nps", 0, ""),
        ("9, would recommend", "nps", 9, "would recommend"),
    ],
)
def test_a_reply_starting_with_a_score_in_range_is_an_answer(
    text: str, kind: s.SurveyKind, score: int, comment: str
) -> None:
    assert s.parse_reply(text, kind) == s.Reply(score, comment)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("0", "csat"),
        ("6", "csat"),
        ("45", "csat"),
        ("11", "nps"),
        ("4great", "csat"),
        ("thanks", "csat"),
        ("STOP", "csat"),
        ("", "csat"),
        ("my order 4711 is broken", "csat"),
    ],
)
def test_anything_else_is_no_answer(text: str, kind: s.SurveyKind) -> None:
    assert s.parse_reply(text, kind) is None


@given(st.text(max_size=40))
def test_a_parsed_score_is_always_on_the_scale(text: str) -> None:
    for kind in ("csat", "nps"):
        reply = s.parse_reply(text, kind)  # type: ignore[arg-type]
        if reply is not None:
            low, high = s.SCALES[kind]
            assert low <= reply.score <= high


def test_csat_is_the_share_of_fours_and_fives() -> None:
    figures = s.csat([5, 4, 3, 1, 4])
    assert (figures.responses, figures.satisfied, figures.score) == (5, 3, 60.0)
    assert s.csat([]).score is None


def test_nps_is_promoters_minus_detractors() -> None:
    # 4 promoters (9, 10, 9, 10), 2 passives (7, 8), 4 detractors (0, 6, 3, 5): 0.
    figures = s.nps([9, 10, 9, 10, 7, 8, 0, 6, 3, 5])
    assert (figures.promoters, figures.passives, figures.detractors) == (4, 2, 4)
    assert figures.score == 0.0
    assert s.nps([10, 10, 6]).score == 33.3
    assert s.nps([0]).score == -100.0
    assert s.nps([]).score is None


def test_answers_group_by_period_and_group() -> None:
    dec, nov = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    answers = [
        s.Answer("csat", 5, dec, "sms", queue="refunds", agent="anna"),
        s.Answer("csat", 2, dec, "email", queue="refunds", agent="bert"),
        s.Answer("csat", 4, nov, "sms", queue="complaints", agent="anna"),
        s.Answer("nps", 10, dec, "sms"),
    ]
    by_queue = s.group_answers(answers, "queue", "month")
    assert [(g.period, g.group) for g in by_queue] == [
        ("2026-11", "complaints"),
        ("2026-12", "-"),
        ("2026-12", "refunds"),
    ]
    refunds = by_queue[2]
    assert (refunds.csat.responses, refunds.csat.score, refunds.nps.responses) == (2, 50.0, 0)
    assert by_queue[1].nps.score == 100.0
    by_agent = {g.group: g.csat.score for g in s.group_answers(answers, "agent", "month")}
    assert by_agent == {"anna": 100.0, "bert": 0.0, "-": None}
    weeks = {g.period for g in s.group_answers(answers, "channel", "week")}
    assert weeks == {"2026-W49"}
    table = s.chart_table(by_queue, "csat")
    assert table.rows[-1] == ("2026-12 refunds", 1, 1, 50.0)


def test_a_genuine_rating_link_reads_back() -> None:
    survey = uuid4()
    expires = int((NOW + timedelta(days=7)).timestamp())
    token = s.rating_token(SECRET, survey, 4, expires)
    assert s.read_rating_link(SECRET, token, 4, NOW) == s.RatingLink(survey, 4, expires)
    url = s.rating_url("https://hub.example/", SECRET, survey, 4, expires)
    assert url == f"https://hub.example/survey/{token}?score=4"


def test_a_changed_score_survey_expiry_or_secret_is_a_forgery() -> None:
    survey = uuid4()
    expires = int((NOW + timedelta(days=7)).timestamp())
    token = s.rating_token(SECRET, survey, 4, expires)
    _, _, signature = token.split(".")
    forged = [
        (token, 5),  # another score
        (f"{uuid4()}.{expires}.{signature}", 4),  # another survey
        (f"{survey}.{expires + 86400}.{signature}", 4),  # a later expiry
        (s.rating_token(b"x" * 32, survey, 4, expires), 4),  # someone else's key
        ("not-a-token", 4),
        (f"{survey}.soon.{signature}", 4),
        # An unsubscribe signature never passes as a rating.
        (f"{survey}.{expires}.{unsubscribe_signature(SECRET, survey)}", 4),
    ]
    for candidate, score in forged:
        with pytest.raises(s.ForgedLink):
            s.read_rating_link(SECRET, candidate, score, NOW)


def test_a_genuine_link_past_its_expiry_is_expired_not_forged() -> None:
    survey = uuid4()
    expires = int((NOW - timedelta(seconds=1)).timestamp())
    token = s.rating_token(SECRET, survey, 3, expires)
    with pytest.raises(s.ExpiredLink):
        s.read_rating_link(SECRET, token, 3, NOW)
