"""Chaos on the distributed hub: a steady load of signed SMS webhooks while a seeded
schedule of faults hits the services, the store and the broker; then the checks.

Shared by tests/integration/test_chaos.py (a short run in the test command) and
bench/chaos.py (longer, more faults). The load driver behaves as Twilio does: a
2xx is an acknowledgement, a 5xx, a timeout or a broken connection is retried
later, with the same MessageSid. Bad inputs (a wrong signature, a malformed
form) go in between and must be refused with a 4xx and leave no trace.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.sms.verify import twilio_signature
from events.ids import provider_event_id
from tests.support.broker_front import BrokerFront
from tests.support.cli import CLI
from tests.support.hub import AUTH_TOKEN, wait_until
from tests.support.pg_cluster import PrivateCluster
from tests.support.ports import free_port
from tests.support.services import Service, Services, distributed_env
from tests.support.traffic import form_of, query

# Bad inputs' MessageSids lie far above the load's, so they can never collide.
BAD_BASE = 1 << 40
RETRY_AFTER_S = 0.25
REQUEST_TIMEOUT_S = 10.0


def message_id(n: int) -> str:
    """The SmsReceived event (and interaction) id the store holds for message n."""
    return str(provider_event_id("twilio", "message", form_of(n)["MessageSid"]))


@dataclass
class LoadFigures:
    issued: int = 0
    acknowledged: set[int] = field(default_factory=set)
    retried: int = 0
    refusals: Counter[str] = field(default_factory=Counter)  # why an attempt was retried
    bad_inputs: Counter[int] = field(default_factory=Counter)  # status -> count
    bad_sids: set[int] = field(default_factory=set)


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class WebhookLoad:
    """Posts message n = 0, 1, 2, ... at `rate` per second from a thread of its own,
    retrying each until it is acknowledged; every `bad_every`-th tick also sends
    a bad input (alternately a wrong signature and a form without a MessageSid)."""

    def __init__(
        self, base_url: str, *, rate: float, workers: int = 16, bad_every: int = 40
    ) -> None:
        self.url = base_url + "/webhooks/twilio/sms"
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.rate = rate
        self.workers = workers
        self.bad_every = bad_every
        self.figures = LoadFigures()
        self._issuing = threading.Event()
        self._thread = threading.Thread(target=self._main, name="webhook-load", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> None:
        self._issuing.set()
        self._thread.start()

    def finish(self, timeout: float) -> LoadFigures:
        """Stops issuing new messages and waits until every issued one is acknowledged."""
        self._issuing.clear()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(
                f"{self.figures.issued - len(self.figures.acknowledged)} webhooks still "
                f"unacknowledged after {timeout:.0f} s; refusals {dict(self.figures.refusals)}"
                f"; error {self._error!r}"
            )
        if self._error is not None:
            raise self._error
        return self.figures

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # surfaced by finish()
            self._error = exc

    async def _run(self) -> None:
        queue: asyncio.Queue[tuple[int, bool]] = asyncio.Queue()
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.workers)]
        started = time.monotonic()
        while self._issuing.is_set():
            n = self.figures.issued
            queue.put_nowait((n, False))
            if self.bad_every and n % self.bad_every == self.bad_every - 1:
                # Alternately a wrong signature and a form without a MessageSid.
                queue.put_nowait((BAD_BASE + n // self.bad_every, True))
            self.figures.issued += 1
            # Steady: the n-th message is due at n / rate, whatever the backlog.
            await asyncio.sleep(
                max(0.0, started + self.figures.issued / self.rate - time.monotonic())
            )
        await queue.join()
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    def _request(self, n: int, bad: bool) -> bytes:
        form = form_of(n)
        signature = twilio_signature(AUTH_TOKEN, self.url, form)
        if bad and n % 2:
            signature = twilio_signature("not-the-auth-token", self.url, form)
        elif bad:
            del form["MessageSid"], form["SmsSid"]
            signature = twilio_signature(AUTH_TOKEN, self.url, form)
        body = urlencode(form).encode()
        head = (
            f"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n"
        )
        return head.encode() + body

    async def _worker(self, queue: asyncio.Queue[tuple[int, bool]]) -> None:
        slot: list[Connection | None] = [None]  # this worker's keep-alive connection
        while True:
            n, bad = await queue.get()
            try:
                await self._deliver(n, bad, slot)
            except Exception as exc:  # an unexpected answer: finish() raises it
                self._error = self._error or exc
            finally:
                queue.task_done()

    async def _deliver(self, n: int, bad: bool, slot: list[Connection | None]) -> None:
        """Posts message n until it is acknowledged (or, for a bad input, refused)."""
        connection = slot[0]
        payload = self._request(n, bad)
        try:
            while True:
                try:
                    if connection is None:
                        connection = await asyncio.wait_for(
                            asyncio.open_connection(self.host, self.port), REQUEST_TIMEOUT_S
                        )
                    reader, writer = connection
                    writer.write(payload)
                    status = await asyncio.wait_for(_status(reader), REQUEST_TIMEOUT_S)
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    if connection is not None:
                        connection[1].close()
                    connection = None
                    status, reason = 0, type(exc).__name__
                else:
                    reason = str(status)
                if bad and 400 <= status < 500:
                    self.figures.bad_inputs[status] += 1
                    self.figures.bad_sids.add(n)
                    return
                if not bad and 200 <= status < 300:
                    self.figures.acknowledged.add(n)
                    return
                if 0 < status < 500:
                    raise AssertionError(f"message {n} (bad={bad}) answered {status}")
                self.figures.retried += 1
                self.figures.refusals[reason] += 1
                await asyncio.sleep(RETRY_AFTER_S * (1 + random.random()))
        finally:
            slot[0] = connection


async def _status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(lines[0].split()[1])


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the load started
    kind: str  # recorder | projector | publisher | postgres | broker
    pause: float  # seconds down before the restart


FAULT_KINDS = ("recorder", "projector", "publisher", "postgres", "broker")


def fault_schedule(
    seed: int,
    duration: float,
    per_kind: int,
    gap: float = 3.0,
    longer: dict[str, float] | None = None,
) -> list[Fault]:
    """`per_kind` faults of every kind at seeded random moments in (2 s, duration),
    at least `gap` seconds apart, each with a pause of 0.3-2 s before the restart
    (plus `longer[kind]` seconds for the kinds it names)."""
    rng = random.Random(seed)
    kinds: list[str] = []
    for _ in range(per_kind):  # rounds of every kind, never the same one twice in a row
        round_ = list(FAULT_KINDS)
        rng.shuffle(round_)
        if kinds and round_[0] == kinds[-1]:
            round_.reverse()
        kinds += round_
    slot = (duration - 2.0) / len(kinds)
    if slot < gap:
        raise ValueError(f"{len(kinds)} faults do not fit into {duration} s with {gap} s gaps")
    return [
        Fault(
            2.0 + i * slot + rng.uniform(0, slot - gap),
            kind,
            rng.uniform(0.3, 2.0) + (longer or {}).get(kind, 0.0),
        )
        for i, kind in enumerate(kinds)
    ]


def run_schedule(
    schedule: list[Fault],
    inject: dict[str, tuple[Callable[[], None], Callable[[], None]]],
    started: float,
    log: Callable[[str], None] = lambda line: None,
) -> Counter[str]:
    """Injects each fault at its moment: the first callable breaks, the second
    (after the pause) restores. Returns the faults injected by kind."""
    done: Counter[str] = Counter()
    for fault in schedule:
        time.sleep(max(0.0, started + fault.at - time.monotonic()))
        breaks, restores = inject[fault.kind]
        log(f"{time.monotonic() - started:6.1f} s: {fault.kind} down for {fault.pause:.1f} s")
        breaks()
        time.sleep(fault.pause)
        restores()
        done[fault.kind] += 1
    return done


def stored_messages(database_url: str) -> Counter[str]:
    """SmsReceived rows per interaction id (each must be exactly 1)."""
    rows = query(
        database_url,
        "SELECT originator_id::text, count(*) FROM contacthub_events"
        " WHERE topic = 'SmsReceived' GROUP BY originator_id",
    )
    return Counter({originator: count for originator, count in rows})


def stored_event_count(database_url: str) -> int:
    return int(query(database_url, "SELECT count(*) FROM contacthub_events")[0][0])


async def published_event_ids(bootstrap: str, topic: str, idle_s: float = 3.0) -> Counter[str]:
    """Every message on `topic` from its beginning, counted by event id."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        assert partitions, f"no partitions known for {topic}"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen: Counter[str] = Counter()
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle_s:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                quiet_since = time.monotonic()
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    seen[headers["contacthub-event-id"]] += 1
        return seen
    finally:
        await consumer.stop()


@dataclass
class Verdict:
    acknowledged: int
    losses: list[int]
    duplicates_in_store: int
    bad_recorded: list[int]
    published: int
    duplicates_on_topic: int
    unpublished: int

    def as_report(self) -> dict[str, Any]:
        return {
            "acknowledged": self.acknowledged,
            "losses": len(self.losses),
            "duplicates_in_store": self.duplicates_in_store,
            "bad_inputs_recorded": len(self.bad_recorded),
            "events_published": self.published,
            "duplicates_on_topic": self.duplicates_on_topic,
            "events_not_published": self.unpublished,
        }


def judge(
    figures: LoadFigures, stored: Counter[str], stored_events: int, published: Counter[str]
) -> Verdict:
    by_id = {message_id(n): n for n in figures.acknowledged}
    bad_ids = {message_id(n): n for n in figures.bad_sids}
    return Verdict(
        acknowledged=len(figures.acknowledged),
        losses=sorted(n for i, n in by_id.items() if i not in stored),
        duplicates_in_store=sum(c - 1 for c in stored.values() if c > 1),
        bad_recorded=sorted(n for i, n in bad_ids.items() if i in stored),
        published=len(published),
        duplicates_on_topic=sum(c - 1 for c in published.values() if c > 1),
        unpublished=stored_events - len(published),
    )


READY = {"recorder": "assigned", "projector": "projecting", "publisher": "publishing to"}
WORKERS = tuple(READY)
TOPIC_PREFIX = "chaos."
# Generous: importing the app takes 5 s of CPU, far more wall time on a loaded machine.
START_TIMEOUT_S = 180.0
KILL_WAIT_S = 20.0
# Seconds the services wait for the broker's ack (5, not 2: a busy machine's
# produce can take seconds, and a timed-out one is an unknown outcome).
PRODUCE_TIMEOUT_S = 5.0
# The backlog of retries after the last fault drains at the gateway's pace.
FINISH_TIMEOUT_S = 180.0
VERIFY_TIMEOUT_S = 300.0


class Roles:
    """The running workers by role; a killed one is started again in its place.

    A restart does not wait for the new process to be ready (on a busy machine
    start-up takes many seconds, and the load and the other faults go on
    meanwhile); the next kill of that role waits up to `kill_wait` seconds for
    it first, so that a SIGKILL normally hits a worker that is doing its job,
    while a slow start cannot stretch the schedule without bound.
    """

    def __init__(self, services: Services, ready_timeout: float, kill_wait: float) -> None:
        self.services = services
        self.ready_timeout = ready_timeout
        self.kill_wait = kill_wait
        self.current: dict[str, Service] = {}

    def start(self, role: str) -> None:
        self.current[role] = self.services.start(role)

    def wait_ready(self, role: str) -> None:
        self.services.wait_for_log(self.current[role], READY[role], self.ready_timeout)

    def kill(self, role: str) -> None:
        service = self.current[role]
        deadline = time.monotonic() + self.kill_wait
        while READY[role] not in service.output() and time.monotonic() < deadline:
            if not service.alive():
                raise AssertionError(f"{role} exited by itself:\n{service.output()[-3000:]}")
            time.sleep(0.1)
        service.kill()

    def faults(self) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
        """SIGKILL, and after the pause a fresh process."""
        return {
            role: (lambda role=role: self.kill(role), lambda role=role: self.start(role))
            for role in WORKERS
        }

    def unexpected_exits(self) -> list[str]:
        return [role for role, service in self.current.items() if not service.alive()]


def positions_caught_up(url: str) -> bool:
    """The publisher and every projection stand at the store's last notification."""
    last = query(url, "SELECT coalesce(max(notification_id), 0) FROM contacthub_events")[0][0]
    tables = [
        name
        for (name,) in query(
            url,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name LIKE '%tracking'"
            " AND table_name <> 'contacthub_tracking'",
        )
    ]
    for table in tables:
        rows = query(url, f"SELECT coalesce(max(notification_id), 0) FROM {table}")
        if rows[0][0] < last:
            return False
    return bool(tables)


@dataclass
class ChaosRun:
    report: dict[str, Any]
    figures: LoadFigures
    verdict: Verdict
    faults: Counter[str]
    unexpected_exits: list[str]
    verify_output: str
    log: list[str]


def run_chaos(
    workdir: Path,
    *,
    seed: int,
    rate: float,
    duration: float,
    per_kind: int,
    say: Callable[[str], None] = lambda line: None,
) -> ChaosRun:
    """The whole run: a private PostgreSQL and broker, the services as processes,
    load and faults for `duration` seconds, quiescence, the checks, the report
    (also written to workdir/chaos-report.json)."""
    lines: list[str] = []

    def note(line: str) -> None:
        lines.append(line)
        say(line)

    with PrivateCluster() as postgres, BrokerFront() as broker:
        gateway_port = free_port()
        env = distributed_env(
            data_dir=workdir / "data",
            database_url=postgres.url,
            bootstrap=broker.bootstrap,
            topic_prefix=TOPIC_PREFIX,
            public_url=f"http://127.0.0.1:{gateway_port}",
            extra={
                "CONTACTHUB_KAFKA_PRODUCE_TIMEOUT": str(PRODUCE_TIMEOUT_S),
                "CONTACTHUB_KAFKA_MAX_POLL_RECORDS": "200",
            },
        )
        services = Services(env, workdir)
        try:
            roles = Roles(services, ready_timeout=START_TIMEOUT_S, kill_wait=KILL_WAIT_S)
            for role in WORKERS:
                roles.start(role)
            services.start("gateway", "--no-access-log", port=gateway_port, timeout=START_TIMEOUT_S)
            for role in WORKERS:
                roles.wait_ready(role)
            inject = roles.faults()
            inject["postgres"] = (postgres.crash, postgres.start)
            inject["broker"] = (broker.stop, broker.start)
            # The broker stays away longer than the gateway's produce timeout, so
            # that webhooks in that window are refused (503) and retried.
            longer = {"broker": PRODUCE_TIMEOUT_S}
            schedule = fault_schedule(seed, duration, per_kind, longer=longer)

            load = WebhookLoad(f"http://127.0.0.1:{gateway_port}", rate=rate)
            started = time.monotonic()
            load.start()
            faults = run_schedule(schedule, inject, started, note)
            time.sleep(max(0.0, started + duration - time.monotonic()))
            figures = load.finish(timeout=FINISH_TIMEOUT_S)
            load_s = time.monotonic() - started
            note(f"{load_s:6.1f} s: load stopped, {len(figures.acknowledged)} acknowledged")

            # Quiescence: everything acknowledged recorded, then followed by the
            # projector and the publisher.
            wanted = len(figures.acknowledged)
            wait_until(lambda: len(stored_messages(postgres.url)) >= wanted, 120, 0.5)
            wait_until(lambda: positions_caught_up(postgres.url), 120, 0.5)
            for role in WORKERS:  # the last restarts came up, too
                roles.wait_ready(role)
            exits = roles.unexpected_exits()
            published = asyncio.run(
                published_event_ids(broker.bootstrap, TOPIC_PREFIX + "contacthub.events.v1")
            )
            verdict = judge(
                figures,
                stored_messages(postgres.url),
                stored_event_count(postgres.url),
                published,
            )
            note(f"verdict before the replay: {json.dumps(verdict.as_report())}")
            # run_cli's 60 s are too few for start-up plus a rebuild on a busy machine.
            verified = subprocess.run(
                [CLI, "replay", "--verify"],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=VERIFY_TIMEOUT_S,
            )
        except BaseException:
            print("\n".join(lines))
            print(services.logs())
            print(postgres.tail())
            raise
        finally:
            services.stop_all()

    report: dict[str, Any] = {
        "seed": seed,
        "rate_per_s": rate,
        "load_s": round(load_s, 1),
        "duration_s": round(time.monotonic() - started, 1),
        "messages_issued": figures.issued,
        "retried": figures.retried,
        "retry_reasons": dict(sorted(figures.refusals.items())),
        "bad_inputs": sum(figures.bad_inputs.values()),
        "bad_input_statuses": {str(k): v for k, v in sorted(figures.bad_inputs.items())},
        "faults": dict(sorted(faults.items())),
        "faults_total": sum(faults.values()),
        **verdict.as_report(),
        "unexpected_exits": exits,
        "replay_verify_exit": verified.returncode,
    }
    (workdir / "chaos-report.json").write_text(json.dumps(report, indent=2) + "\n")
    return ChaosRun(
        report, figures, verdict, faults, exits, verified.stdout + verified.stderr, lines
    )
