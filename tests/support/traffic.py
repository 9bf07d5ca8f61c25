"""Load for the distributed tests: signed webhooks over HTTP, or intake events
produced straight to the topic, and what the store and views hold afterwards."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaProducer

from adapters.sms.translate import TwilioInboundMessage, inbound_message_event
from adapters.sms.verify import twilio_signature
from events import Event
from services.kafka.codec import TYPE_HEADER, intake_key
from tests.support.hub import AUTH_TOKEN, inbound_sms_form

SENDERS = 1000
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def sender_of(n: int) -> str:
    return f"+49151{20_000_000 + n % SENDERS}"


def form_of(n: int) -> dict[str, str]:
    return inbound_sms_form(n, sender_of(n), f"Nachricht {n}: Frage zur Rechnung")


async def post_webhooks(
    base_url: str, numbers: Iterable[int], concurrency: int = 48
) -> dict[str, int]:
    """Posts each message as Twilio does, retrying (as Twilio does) until 200."""
    url = base_url + "/webhooks/twilio/sms"
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in numbers:
        queue.put_nowait(n)
    outcomes = {"ok": 0, "retried": 0}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            form = form_of(n)
            headers = {"X-Twilio-Signature": twilio_signature(AUTH_TOKEN, url, form)}
            while True:
                try:
                    response = await client.post(url, data=form, headers=headers)
                except httpx.TransportError:
                    outcomes["retried"] += 1
                    await asyncio.sleep(0.2)
                    continue
                if response.status_code == 200:
                    outcomes["ok"] += 1
                    break
                assert response.status_code == 503, (response.status_code, response.text)
                outcomes["retried"] += 1
                await asyncio.sleep(0.2)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # Without TCP_NODELAY the body waits for the ACK of the headers (Nagle meets
    # delayed ACK): 40 ms a request, and the test would measure that.
    transport = httpx.AsyncHTTPTransport(
        limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )
    async with httpx.AsyncClient(timeout=30, transport=transport) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return outcomes


def intake_event(n: int, secret: bytes) -> Event:
    """The event the gateway would produce for message n."""
    form = form_of(n)
    return inbound_message_event(
        TwilioInboundMessage.model_validate(form),
        form,
        received_at=T0 + timedelta(seconds=n),
        address_secret=secret,
        default_region="DE",
    )


async def produce(
    bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes, dict[str, str]]]
) -> int:
    """Produces (key, value, headers) with acks=all, as fast as the broker takes them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = [
            await producer.send(
                topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
            )
            for key, value, headers in messages
        ]
        await asyncio.gather(*pending)
        return len(pending)
    finally:
        await producer.stop()


def as_message(event: Event) -> tuple[bytes, bytes, dict[str, str]]:
    return intake_key(event), event.model_dump_json().encode(), {TYPE_HEADER: event.type}


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def event_counts(url: str) -> dict[str, int]:
    rows = query(url, "SELECT topic, count(*) FROM contacthub_events GROUP BY topic")
    return {topic: count for topic, count in rows}


def duplicate_messages(url: str) -> int:
    """SmsReceived stored more than once for one MessageSid (must be zero)."""
    rows = query(
        url,
        "SELECT count(*) - count(DISTINCT originator_id) FROM contacthub_events"
        " WHERE topic = 'SmsReceived'",
    )
    return int(rows[0][0])


def tracked_offsets(url: str, topic: str) -> dict[int, int]:
    rows = query(
        url,
        "SELECT application_name, notification_id FROM contacthub_tracking"
        " WHERE application_name LIKE %s",
        (topic + ":%",),
    )
    return {int(name.rsplit(":", 1)[1]): offset for name, offset in rows}
