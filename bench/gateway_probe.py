"""Signed SMS webhooks/s through `contacthub run gateway` (Kafka, acks=all), beside
a trivial FastAPI endpoint on the same server stack, measured in the same run.

    PYTHONPATH=. .venv/bin/python bench/gateway_probe.py [--seconds 15] [--profile out.svg]

Starts tansu and a fresh PostgreSQL database, creates the topics, starts the
gateway as an operator would, replays prepared signed webhooks with wrk (32
connections) and checks that the intake topic holds at least as many messages
as the gateway answered 200 to. `--profile` records the gateway with py-spy
during the load; `--top` prints py-spy's top functions instead.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.load import LoadResult, run_wrk
from bench.raw import trivial_endpoint
from bench.scenarios import AUTH_TOKEN, signed_webhooks
from bench.servers import VENV_BIN, hub_env, process
from services.infra.kafka.topics import Topics, ensure_topics
from services.infra.settings import Settings
from tests.support.ports import free_port
from tests.support.postgres import create_database, drop_database
from tests.support.tansu import start_tansu, stop_tansu


def gateway_args(port: int) -> list[str]:
    args = [str(VENV_BIN / "contacthub"), "run", "gateway", "--port", str(port)]
    help_text = subprocess.run([*args[:3], "--help"], capture_output=True, text=True).stdout
    return [*args, "--no-access-log"] if "--no-access-log" in help_text else args


async def topic_size(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        return sum(ends[tp] - starts[tp] for tp in partitions)
    finally:
        await consumer.stop()


def handler_latency(metrics: str) -> str:
    """Share of SMS webhooks the handler finished within each bucket (from /metrics)."""
    buckets = [
        (float(m.group(1)), float(m.group(2)))
        for m in re.finditer(
            r'contacthub_webhook_seconds_bucket\{le="([^"]+)",route="sms"\} (\S+)', metrics
        )
    ]
    total = buckets[-1][1] if buckets else 0
    return "  ".join(f"<={le * 1000:g}ms {n / total:.2%}" for le, n in buckets if total and le <= 1)


def line(name: str, result: LoadResult) -> str:
    return (
        f"{name:<10} {result.requests_per_second:8.0f} req/s  p50 {result.p50_ms:6.2f} ms"
        f"  p99 {result.p99_ms:6.2f} ms  ({result.requests} requests,"
        f" {result.non_2xx} non-2xx, {result.errors} socket errors)"
    )


def profiler(pid: int, seconds: int, svg: str | None, top: bool) -> subprocess.Popen[bytes] | None:
    spy = str(VENV_BIN / "py-spy")
    if svg:
        return subprocess.Popen(
            [spy, "record", "-o", svg, "--pid", str(pid), "-d", str(seconds), "-r", "200"]
        )
    if top:
        args = [spy, "record", "-f", "raw", "-o", "/tmp/gateway-profile.txt", "--pid", str(pid)]
        return subprocess.Popen([*args, "-d", str(seconds), "-r", "200"])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-trivial", action="store_true", help="skip the trivial endpoint")
    parser.add_argument("--profile", metavar="SVG", help="py-spy flame graph of the gateway")
    parser.add_argument("--top", action="store_true", help="py-spy raw profile to /tmp")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="gateway-probe-"))
    kafka_port = free_port()
    broker = start_tansu(kafka_port)
    database_url = create_database()
    try:
        bootstrap = f"127.0.0.1:{kafka_port}"
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        env = hub_env(
            data_dir,
            database_url,
            CONTACTHUB_KAFKA_BOOTSTRAP=bootstrap,
            CONTACTHUB_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
            CONTACTHUB_PUBLIC_URL=public,
            CONTACTHUB_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        )
        settings = Settings(kafka_bootstrap=bootstrap, _env_file=None)  # type: ignore[call-arg]
        asyncio.run(ensure_topics(settings))
        print(f"preparing {args.seconds * 4000} signed webhooks ...", flush=True)
        lines = signed_webhooks(public, count=args.seconds * 4000, senders=5000)
        with process(gateway_args(port), env, public + "/readyz") as rss:
            # Warm up: connections, caches, the producer's metadata.
            run_wrk(public, lines[-2000:], seconds=2, connections=args.connections)
            spy = profiler(rss._process.pid, args.seconds, args.profile, args.top)
            started = time.monotonic()
            cpu_before = rss._process.cpu_times()
            gateway = run_wrk(
                public, lines[:-2000], seconds=args.seconds, connections=args.connections
            )
            if spy is not None:
                spy.wait(timeout=max(5.0, args.seconds - (time.monotonic() - started) + 30))
            cpu = rss._process.cpu_times()
            cpu_seconds = cpu.user + cpu.system - cpu_before.user - cpu_before.system
            wall = time.monotonic() - started
            server_side = httpx.get(public + "/metrics").text
        on_topic = asyncio.run(topic_size(bootstrap, Topics.of(settings).interactions))
        print(line("gateway", gateway), flush=True)
        answered = gateway.requests - gateway.non_2xx
        print(
            f"intake topic holds {on_topic} messages; 2xx answers incl. warm-up <= that: "
            f"{answered} in the measured run; peak RSS {rss.peak / 2**20:.0f} MiB"
        )
        print(
            f"gateway CPU: {cpu_seconds / wall:.0%} of one core,"
            f" {cpu_seconds * 1000 / gateway.requests:.3f} ms per webhook"
        )
        print("in the handler (signature to broker ack), warm-up included:")
        print(handler_latency(server_side))
        if not args.no_trivial:
            trivial, _ = trivial_endpoint(data_dir, args.seconds)
            print(line("trivial", trivial))
            ratio = gateway.requests_per_second / trivial.requests_per_second
            print(f"gateway / trivial = {ratio:.0%}")
    finally:
        stop_tansu(broker)
        drop_database(database_url)
    sys.exit(0)


if __name__ == "__main__":
    main()
