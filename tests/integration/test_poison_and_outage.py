"""Bad messages on the intake topic go to its dead-letter topic with their error
and origin, and the partition keeps flowing; with the broker down the gateway
answers 503, and the provider's retry after the restart records one event."""

from __future__ import annotations

import asyncio
import base64
import smtplib
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from adapters.sms.verify import twilio_signature
from events import CustomerRegistered, SmsStatus, SmsStatusChanged
from services.infra.eventstore.keys import derive_key
from services.infra.kafka.codec import (
    ERROR_HEADER,
    ORIGIN_OFFSET_HEADER,
    ORIGIN_PARTITION_HEADER,
    ORIGIN_TOPIC_HEADER,
    header_map,
)
from tests.support.hub import AUTH_TOKEN, inbound_sms_form, wait_until
from tests.support.ports import free_port
from tests.support.services import Services, distributed_env
from tests.support.tansu import start_tansu, stop_tansu
from tests.support.traffic import event_counts, intake_event, produce, query


async def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 30) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += records
        return found
    finally:
        await consumer.stop()


def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_keeps_flowing(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    prefix = env["CONTACTHUB_KAFKA_TOPIC_PREFIX"]
    topic, dlq = prefix + "contacthub.interactions.v1", prefix + "contacthub.interactions.v1.dlq"
    bootstrap = env["CONTACTHUB_KAFKA_BOOTSTRAP"]
    secret = derive_key(base64.b64decode(env["CONTACTHUB_MASTER_KEY"]), "address-key")
    good = [intake_event(n, secret) for n in range(6)]
    key = good[0].address_key.encode()  # one key: everything lands on one partition
    now = datetime.now(UTC)
    foreign = CustomerRegistered(event_id=uuid4(), originator_id=uuid4(), occurred_at=now)
    unknown_interaction = SmsStatusChanged(
        event_id=uuid4(), originator_id=uuid4(), occurred_at=now, status=SmsStatus.DELIVERED
    )
    poison = [
        (b"this is not JSON", "not JSON"),
        (b'{"type": "SmsReceived", "event_id": "nope"}', "invalid SmsReceived"),
        (foreign.model_dump_json().encode(), "CustomerRegistered is not an intake event"),
        (unknown_interaction.model_dump_json().encode(), "no message interaction"),
    ]
    messages = [(key, good[0].model_dump_json().encode(), {})]
    messages += [(key, value, {}) for value, _ in poison]
    messages += [(key, e.model_dump_json().encode(), {}) for e in good[1:]]
    health = free_port()
    services.start("recorder", "--health-port", str(health), ready_log="assigned")
    # The worker answers Kubernetes' probes like the HTTP services do.
    assert httpx.get(f"http://127.0.0.1:{health}/healthz").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{health}/readyz").json()["status"] == "ok"
    produced = asyncio.run(produce(bootstrap, topic, messages))
    [(partition, last)] = produced.items()
    first = last - len(messages) + 1

    # The messages behind the poison are recorded.
    wait_until(lambda: event_counts(postgres_url).get("SmsReceived") == len(good), timeout=30)
    parked = asyncio.run(read_all(bootstrap, dlq, expected=len(poison)))
    assert len(parked) == len(poison)
    for n, (record, (value, reason)) in enumerate(zip(parked, poison, strict=True)):
        headers = header_map(record.headers)
        assert record.value == value
        assert record.key == key
        assert reason in headers[ERROR_HEADER]
        assert headers[ORIGIN_TOPIC_HEADER] == topic
        assert headers[ORIGIN_PARTITION_HEADER] == str(partition)
        assert headers[ORIGIN_OFFSET_HEADER] == str(first + 1 + n)
    # Their positions are recorded too: a restart does not park them again.
    wait_until(
        lambda: (
            query(
                postgres_url,
                "SELECT notification_id FROM contacthub_tracking WHERE application_name = %s",
                (f"{topic}:{partition}",),
            )
            == [(last,)]
        ),
        timeout=10,
    )


@pytest.fixture
def own_broker() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A broker of this test's own, which it stops and starts again."""
    port = free_port()
    running = [start_tansu(port)]
    try:
        yield port, running
    finally:
        for proc in running:
            stop_tansu(proc)


def post(url: str, form: dict[str, str]) -> httpx.Response:
    signature = twilio_signature(AUTH_TOKEN, url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def send_mail(port: int) -> dict[str, tuple[int, bytes]]:
    message = EmailMessage()
    message["From"] = "Anna Schmidt <anna@example.de>"
    message["To"] = "service@hub.example"
    message["Subject"] = "Lieferung"
    message["Message-ID"] = "<outage-1@example.de>"
    message.set_content("Wo bleibt meine Lieferung?")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.send_message(message)


def try_mail(port: int) -> bool:
    try:
        return send_mail(port) == {}
    except smtplib.SMTPDataError as exc:
        assert exc.smtp_code == 451, exc  # only "try again later" is retried
        return False


def test_with_the_broker_down_the_gateway_answers_503_and_the_retry_records_one_event(
    own_broker: tuple[int, list[subprocess.Popen[bytes]]],
    tmp_path: Path,
    postgres_url: str,
    topic_prefix: str,
    gateway_port: int,
) -> None:
    kafka_port, running = own_broker
    smtp_port = free_port()
    env = distributed_env(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        bootstrap=f"127.0.0.1:{kafka_port}",
        topic_prefix=topic_prefix,
        public_url=f"http://127.0.0.1:{gateway_port}",
        extra={
            "CONTACTHUB_KAFKA_PRODUCE_TIMEOUT": "2",
            "CONTACTHUB_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
        },
    )
    services = Services(env, tmp_path)
    try:
        services.start("gateway", port=gateway_port)
        base = f"http://127.0.0.1:{gateway_port}"
        assert httpx.get(base + "/readyz").json()["bus"] == "ok"

        stop_tansu(running.pop())
        form = inbound_sms_form(4711, "+4915112345678", "Ist meine Bestellung unterwegs?")
        refused = post(base + "/webhooks/twilio/sms", form)
        assert refused.status_code == 503, refused.text
        assert "retry" in refused.json()["detail"]
        ready = httpx.get(base + "/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["bus"].startswith("unavailable")
        # The gateway's SMTP receiver says the same in SMTP: 451, try again later.
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            send_mail(smtp_port)
        assert deferred.value.smtp_code == 451

        # The broker comes back (a memory broker, so its topics are created again,
        # as a real cluster would still have them); Twilio retries the webhook.
        running.append(start_tansu(kafka_port))
        services.start("recorder", ready_log="assigned")
        retried = wait_until(
            lambda: (r := post(base + "/webhooks/twilio/sms", form)).status_code == 200 and r,
            timeout=30,
            interval=0.5,
        )
        assert retried
        # The sending mail server retries until it gets 250, as after any 451.
        wait_until(lambda: try_mail(smtp_port), timeout=30, interval=0.5)
        wait_until(lambda: event_counts(postgres_url).get("SmsReceived") == 1, timeout=30)
        wait_until(lambda: event_counts(postgres_url).get("EmailReceived") == 1, timeout=30)
        time.sleep(1.0)  # nothing else trickles in
        assert event_counts(postgres_url)["SmsReceived"] == 1
        assert event_counts(postgres_url)["EmailReceived"] == 1
    finally:
        services.stop_all()
