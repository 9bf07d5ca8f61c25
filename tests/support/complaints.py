"""Helpers for the complaint tests: agents with their own tokens, a settable clock."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, wait_until

SMS = "/webhooks/twilio/sms"


class SettableClock:
    """The hub's clock in a test: fixed until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, now: datetime) -> None:
        with self._lock:
            self._now = now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def agent_client(hub: Hub, base_url: str, name: str, role: Role = Role.AGENT) -> httpx.Client:
    token = hub.tokens.create(role, name)
    return httpx.Client(
        base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def customer_writes(
    client: httpx.Client, base_url: str, n: int, sender: str, body: str
) -> dict[str, str]:
    form = inbound_sms_form(n, sender, body)
    response = post_signed(client, base_url, SMS, form)
    assert response.status_code == 200, response.text
    return form


def cases_of(api: Any, customer_id: str, state: str = "all") -> list[dict[str, Any]]:
    response = api.get("/complaints", params={"customer_id": customer_id, "state": state})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def customer_id_of(api: Any, phone: str) -> str:
    found = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    return str(found[0]["customer_id"])
