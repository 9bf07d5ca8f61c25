"""The gateway process builds only what it uses (services/wiring/hub.py), and
answers 503 with Retry-After while the broker is down, on the fast lane and on
ordinary routes alike: the real app on loopback HTTP with a real Kafka client
whose broker does not answer (nothing listens on its port)."""

from __future__ import annotations

import json
from uuid import uuid4

import httpx

from adapters.post.verify import HEADER, post_signature
from services.entry.api.app import GATEWAY_ROUTERS, create_app
from services.entry.api.errors import RETRY_AFTER_SECONDS
from services.infra.settings import Settings
from services.wiring.hub import GATEWAY_PARTS, build_hub
from tests.support.hub import ACCOUNT_SID, inbound_sms_form, post_signed, serving
from tests.support.ports import free_port

POST_SECRET = "post-webhook-secret"
# Parts the gateway must never build: the read models and everything behind the agent API.
NOT_THE_GATEWAYS = (
    "views",
    "projector",
    "complaints",
    "recorder",
    "tokens",
    "messaging",
    "email",
    "letters",
    "calls",
    "consent",
)


def test_the_gateway_builds_only_its_parts_and_asks_for_a_retry_while_kafka_is_down(
    settings: Settings, port: int, client: httpx.Client
) -> None:
    gateway_settings = settings.model_copy(
        update={
            "kafka_bootstrap": f"127.0.0.1:{free_port()}",
            "kafka_produce_timeout": 1.0,
            "post_webhook_secret": POST_SECRET,
        }
    )
    hub = build_hub(gateway_settings, kafka=True, parts=GATEWAY_PARTS)
    base = f"http://127.0.0.1:{port}"
    with serving(create_app(hub, routers=GATEWAY_ROUTERS, run_projector=False), port):
        # The fast lane (inbound SMS) answers from the same error table as the app.
        form = inbound_sms_form(1, "+4915112345678", "Hallo")
        sms = post_signed(client, base, "/webhooks/twilio/sms", form)
        assert sms.status_code == 503, sms.text
        assert sms.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert sms.json()["detail"].startswith("cannot record now, retry: ")

        report = json.dumps({"letter_id": str(uuid4()), "status": "posted"}).encode()
        letter = client.post(
            base + "/webhooks/post/status",
            content=report,
            headers={
                HEADER: post_signature(POST_SECRET, report),
                "Content-Type": "application/json",
            },
        )
        assert letter.status_code == 503, letter.text
        assert letter.headers["retry-after"] == str(RETRY_AFTER_SECONDS)

        # Voice TwiML that records nothing still works: it needs the voice script only.
        dialed = post_signed(
            client,
            base,
            "/webhooks/twilio/voice?step=dialed",
            {"CallSid": "CA" + "2" * 32, "AccountSid": ACCOUNT_SID, "DialCallStatus": "completed"},
        )
        assert dialed.status_code == 200, dialed.text
        assert "<Response" in dialed.text

        assert client.get(base + "/metrics").status_code == 200
        ready = client.get(base + "/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["store"] == "ok"

    assert [name for name in NOT_THE_GATEWAYS if hub.built(name)] == []
    assert all(hub.built(name) for name in GATEWAY_PARTS)
    assert hub.store.max_notification_id() == 0  # nothing acknowledged, nothing recorded


def test_serve_builds_every_part_at_start(settings: Settings) -> None:
    hub = build_hub(settings)
    try:
        assert all(hub.built(name) for name in (*NOT_THE_GATEWAYS, *GATEWAY_PARTS))
    finally:
        hub.close()


def test_the_gateway_serves_no_agent_api_and_no_console(
    settings: Settings, port: int, client: httpx.Client
) -> None:
    """The internet-facing process has only the provider-facing routes (and the
    probes): what an agent's token opens is not there to be attacked."""
    gateway_settings = settings.model_copy(
        update={"kafka_bootstrap": f"127.0.0.1:{free_port()}", "kafka_produce_timeout": 1.0}
    )
    hub = build_hub(gateway_settings, kafka=True, parts=GATEWAY_PARTS)
    base = f"http://127.0.0.1:{port}"
    with serving(create_app(hub, routers=GATEWAY_ROUTERS, run_projector=False), port):
        paths = client.get(base + "/openapi.json").json()["paths"]
        assert paths and not [p for p in paths if p.startswith("/api/")]
        for path in ("/api/v1/customers?q=ab", "/api/v1/users", "/", "/login"):
            assert client.get(base + path).status_code == 404, path
