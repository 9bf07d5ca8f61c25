"""A real hub on loopback HTTP for tests: uvicorn in a thread, the real app."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from adapters.sms.verify import twilio_signature
from services.entry.api.app import create_app
from services.infra.settings import Settings
from services.wiring.hub import Hub, build_hub

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
OUR_NUMBER = "+4930901820"


@contextmanager
def running_hub(settings: Settings, port: int, *, clock: Any = None) -> Iterator[Hub]:
    hub = build_hub(settings, clock=clock) if clock is not None else build_hub(settings)
    with serving(create_app(hub), port):
        yield hub


@contextmanager
def serving(app: Any, port: int) -> Iterator[None]:
    """Serves an ASGI app on 127.0.0.1:port (lifespan included) until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def inbound_sms_form(sid_suffix: int, sender: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": f"SM{sid_suffix:032x}",
        "SmsSid": f"SM{sid_suffix:032x}",
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


def post_signed(
    client: httpx.Client,
    base_url: str,
    path: str,
    form: Mapping[str, str],
    *,
    token: str = AUTH_TOKEN,
    signature: str | None = None,
) -> httpx.Response:
    """Posts a form as Twilio does, signed with Twilio's real algorithm."""
    url = base_url + path
    headers: dict[str, Any] = {
        "X-Twilio-Signature": signature
        if signature is not None
        else twilio_signature(token, url, form)
    }
    return client.post(url, data=dict(form), headers=headers)


def wait_until(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def settle(hub: Hub, timeout: float = 10.0) -> int:
    """Waits until the hub's followers (complaint intake, projector) have handled
    everything recorded, including what they record themselves; returns the last
    notification id. Tests that count recorded events call it first, so that a
    policy's asynchronous reaction is not mistaken for what the test caused."""
    deadline = time.monotonic() + timeout
    while True:
        hub.complaints.intake.catch_up()
        last = hub.store.max_notification_id()
        hub.projector.wake()
        hub.projector.wait_for(last, timeout=max(0.1, deadline - time.monotonic()))
        if hub.store.max_notification_id() == last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("the hub did not settle")
