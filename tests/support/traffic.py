"""Load for the distributed tests: signed webhooks over HTTP, or intake events
produced straight to the topic, and what the store and views hold afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg
from aiokafka import AIOKafkaProducer

from adapters.sms.translate import TwilioInboundMessage, inbound_message_event
from adapters.sms.verify import twilio_signature
from events import Event
from services.infra.kafka.codec import TYPE_HEADER, intake_key
from tests.support.hub import AUTH_TOKEN, inbound_sms_form

SENDERS = 1000
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def sender_of(n: int) -> str:
    return f"+49151{20_000_000 + n % SENDERS}"


def form_of(n: int) -> dict[str, str]:
    return inbound_sms_form(n, sender_of(n), f"Nachricht {n}: Frage zur Rechnung")


async def post_webhooks(
    base_url: str, numbers: Iterable[int], concurrency: int = 16
) -> dict[str, int]:
    """Posts each message as Twilio does, retrying (as Twilio does) until 200.

    A minimal HTTP/1.1 keep-alive client on asyncio streams: httpx costs more
    CPU per request than the gateway itself, and the machine has two cores.
    """
    url = base_url + "/webhooks/twilio/sms"
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in numbers:
        queue.put_nowait(n)
    outcomes = {"ok": 0, "retried": 0}

    def request(n: int) -> bytes:
        form = form_of(n)
        body = urlencode(form).encode()
        signature = twilio_signature(AUTH_TOKEN, url, form)
        head = (
            f"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n"
        )
        return head.encode() + body

    async def worker() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while not queue.empty():
            n = queue.get_nowait()
            payload = request(n)
            while True:
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, port)
                    assert reader is not None
                    writer.write(payload)
                    status, body = await _response(reader)
                except (OSError, asyncio.IncompleteReadError):
                    writer = None
                    outcomes["retried"] += 1
                    await asyncio.sleep(0.2)
                    continue
                if status == 200:
                    outcomes["ok"] += 1
                    break
                assert status == 503, (status, body)
                outcomes["retried"] += 1
                await asyncio.sleep(0.2)
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


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
    bootstrap: str,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes, dict[str, str]]],
) -> dict[int, int]:
    """Produces (key, value, headers) with acks=all; returns the last offset per partition.

    The offsets come from the broker's acknowledgements: the test broker's
    ListOffsets answer can lag behind them, so tests wait for these instead.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = [
            await producer.send(
                topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
            )
            for key, value, headers in messages
        ]
        last: dict[int, int] = {}
        for metadata in await asyncio.gather(*pending):
            last[metadata.partition] = max(metadata.offset, last.get(metadata.partition, -1))
        return last
    finally:
        await producer.stop()


def as_message(event: Event) -> tuple[bytes, bytes, dict[str, str]]:
    return intake_key(event), event.model_dump_json().encode(), {TYPE_HEADER: event.type}


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def execute(url: str, sql: str, params: Any = None) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql, params)


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
