"""A resolved email case's survey reaches a real SMTP relay with one signed
rating link per score; a click records the score once; a changed score, a
forged token or another survey's signature is refused with 403 and records
nothing; a genuine link past its expiry is 410. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from domain.satisfaction import rating_token
from events import SurveyAnswered, SurveySent, survey_id_for_case
from services.infra.settings import Settings
from services.wiring.hub import Hub, now_of
from tests.support.complaints import cases_of
from tests.support.email_fixtures import mail, relay, settings, smtp_port, smtp_send
from tests.support.hub import running_hub, settle, wait_until
from tests.support.smtp_relay import SmtpRelay

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

LINK = re.compile(r"^(\d+): (http://\S+/survey/(\S+)\?score=(\d+))$", re.MULTILINE)


@pytest.fixture
def hub(settings: Settings, port: int) -> Iterator[Hub]:
    fast = settings.model_copy(update={"survey_delay_seconds": 0.0, "survey_tick_seconds": 0.05})
    with running_hub(fast, port) as running:
        yield running


def answers_of(hub: Hub, survey_id: UUID) -> list[SurveyAnswered]:
    return [e for e in hub.store.stream(survey_id) if isinstance(e, SurveyAnswered)]


def test_an_email_survey_link_records_its_score_and_a_forged_one_is_refused(
    hub: Hub, api: Any, relay: SmtpRelay, smtp_port: int, client: httpx.Client, base_url: str
) -> None:
    smtp_send(
        smtp_port, mail("Kundin <kundin@example.de>", "Reklamation", "Der Toaster ist defekt.")
    )
    [customer] = wait_until(
        lambda: api.get("/customers", params={"q": "kundin@example.de"}).json()["items"]
    )
    [case] = wait_until(lambda: cases_of(api, customer["customer_id"]))
    assert case["channel"] == "email"
    cid = case["complaint_id"]
    assert api.post(f"/complaints/{cid}/claim").status_code == 200
    assert api.post(f"/complaints/{cid}/resolve", json={"resolution": "Neu"}).status_code == 200

    survey_mail = wait_until(
        lambda: [
            r.message for r in relay.received if "survey" in str(r.message.get_body(("plain",)))
        ]
    )
    [message] = survey_mail
    assert message["To"].addresses[0].addr_spec == "kundin@example.de"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    links = {int(m.group(1)): (m.group(2), m.group(3)) for m in LINK.finditer(text)}
    assert sorted(links) == [1, 2, 3, 4, 5]
    html = message.get_body(("html",)).get_content()
    assert all(url.replace("&", "&amp;") in html or url in html for url, _ in links.values())
    survey_id = survey_id_for_case(UUID(cid))
    [sent] = wait_until(lambda: hub.store.stream(survey_id))
    assert isinstance(sent, SurveySent) and sent.channel == "email"

    # Forged: the 2-link with score 5, a token for another survey, garbage.
    url2, token2 = links[2]
    other = str(survey_id_for_case(UUID(int=1)))
    forged = [
        url2.replace("score=2", "score=5"),
        f"{base_url}/survey/{token2.replace(str(survey_id), other)}?score=2",
        f"{base_url}/survey/{token2[:-4]}beef?score=2",
        f"{base_url}/survey/nonsense?score=2",
        f"{base_url}/survey/{token2}?score=two",
    ]
    for url in forged:
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "not valid" in refused.text and refused.headers["content-type"].startswith(
            "text/html"
        )
    # A genuine link whose survey closed yesterday.
    yesterday = int((now_of(hub) - timedelta(days=1)).timestamp())
    expired = client.get(
        f"{base_url}/survey/{rating_token(hub.survey_secret, survey_id, 2, yesterday)}?score=2"
    )
    assert expired.status_code == 410 and "no longer" in expired.text
    assert answers_of(hub, survey_id) == []

    url4, _ = links[4]
    recorded = client.get(url4)
    assert recorded.status_code == 200 and "rating of 4 is recorded" in recorded.text
    [answer] = answers_of(hub, survey_id)
    assert (answer.score, answer.channel, answer.interaction_id) == (4, "email", None)
    # A second click, even on another score, records nothing and shows the first.
    again = client.get(links[1][0])
    assert again.status_code == 200 and "already have your rating of 4" in again.text
    assert len(answers_of(hub, survey_id)) == 1

    settle(hub)
    found = api.get("/analytics/satisfaction", params={"by": "channel"}).json()
    assert found["csat"] == {"responses": 1, "satisfied": 1, "csat": 100.0}
    assert [g["group"] for g in found["groups"]] == ["email"]
