"""Integers beyond what the stores hold are refused, not a 500 (issue 13, item 2).

`?offset=9223372036854775808` and `Last-Event-ID: 99999999999999999999` reached
SQL as numbers SQLite and psycopg cannot bind: OverflowError, a 500, and a
dead event stream. Now 422 (query) and 400 (header), on both stores.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.wiring.hub import Hub
from tests.support.hub import ACCOUNT_SID, post_signed

SQL_INT_MAX = 2**63 - 1


def test_query_integers_beyond_64_bits_are_422(api: Any) -> None:
    for path in (
        f"/complaints?offset={SQL_INT_MAX + 1}",
        "/complaints?offset=99999999999999999999999",
        f"/stream?after={SQL_INT_MAX + 1}",
    ):
        response = api.get(path)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["loc"][0] == "query"
    # The largest the stores hold is fine: an empty page.
    response = api.get(f"/complaints?offset={SQL_INT_MAX}")
    assert response.status_code == 200, response.text
    assert response.json() == {"items": []}


def test_a_last_event_id_beyond_64_bits_is_400(api: Any) -> None:
    for last_event_id in ("99999999999999999999", str(SQL_INT_MAX + 1), "-1", "1e3"):
        response = api.get("/stream", headers={"Last-Event-ID": last_event_id})
        assert response.status_code == 400, (last_event_id, response.text)
        assert "Last-Event-ID" in response.json()["detail"]


def test_a_huge_call_duration_is_refused_and_records_nothing(
    hub: Hub, base_url: str, client: httpx.Client
) -> None:
    before = hub.store.max_notification_id()
    form = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": "CA" + "2" * 32,
        "CallStatus": "completed",
        "CallDuration": "99999999999999999999",
    }
    response = post_signed(client, base_url, "/webhooks/twilio/voice/status", form)
    assert response.status_code == 422, response.text
    assert "CallDuration" in response.text
    assert hub.store.max_notification_id() == before
