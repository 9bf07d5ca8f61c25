"""Probe: Kafka intake topic -> `contacthub run recorder` -> PostgreSQL, messages/s.

Starts its own tansu broker and a fresh PostgreSQL database, fills the intake
topic with N intake messages (tests/support/traffic.py: SMS from 1,000
senders), then starts the recorder and times it from its partition assignment
until every partition's tracked position reaches the last produced offset.
Beside it, the raw limit of the same run: the library's stock batched append
(500 events per insert_events) into another fresh database on the same server.

    PYTHONPATH=. .venv/bin/python bench/ingest_probe.py [--messages 30000]
        [--poll 2000] [--profile /tmp/recorder.svg]

`--profile` runs the recorder under py-spy (native frames off) and writes a
flame graph; `--profile-format raw` writes collapsed stacks for grepping.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import psycopg

from bench.raw import batched_append
from services.infra.eventstore.keys import derive_key, master_key_from
from services.infra.kafka.topics import Topics, ensure_topics
from services.infra.settings import Settings
from tests.support.ports import free_port
from tests.support.postgres import create_database, drop_database
from tests.support.services import CLI, distributed_env
from tests.support.tansu import start_tansu, stop_tansu
from tests.support.traffic import as_message, intake_event, produce, query

VENV_BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--poll", type=int, default=None, help="max_poll_records")
    parser.add_argument("--raw-events", type=int, default=20_000)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--profile-format", default="flamegraph")
    parser.add_argument(
        "--profile-gil", action="store_true", help="sample only the thread holding the GIL"
    )
    args = parser.parse_args()

    port = free_port()
    broker = start_tansu(port)
    database = create_database()
    raw_database = create_database()
    try:
        with tempfile.TemporaryDirectory() as folder:
            run(args, f"127.0.0.1:{port}", database, raw_database, Path(folder))
    finally:
        stop_tansu(broker)
        drop_database(database)
        drop_database(raw_database)


def run(
    args: argparse.Namespace, bootstrap: str, database: str, raw_database: str, folder: Path
) -> None:
    env = distributed_env(
        data_dir=folder,
        database_url=database,
        bootstrap=bootstrap,
        topic_prefix="probe.",
        public_url="http://127.0.0.1:1",
    )
    if args.poll:
        env["CONTACTHUB_KAFKA_MAX_POLL_RECORDS"] = str(args.poll)
    settings = Settings(
        data_dir=folder,
        database_url=database,
        kafka_bootstrap=bootstrap,
        kafka_topic_prefix="probe.",
        master_key=env["CONTACTHUB_MASTER_KEY"],
        _env_file=None,  # type: ignore[call-arg]
    )
    secret = derive_key(master_key_from(settings.master_key, folder), "address-key")
    topic = Topics.of(settings).interactions

    started = time.perf_counter()
    messages = [as_message(intake_event(n, secret)) for n in range(args.messages)]
    print(f"built {len(messages):,} intake messages in {time.perf_counter() - started:.1f} s")
    asyncio.run(ensure_topics(settings))
    started = time.perf_counter()
    last = asyncio.run(produce(bootstrap, topic, messages))
    print(f"produced at {len(messages) / (time.perf_counter() - started):,.0f} msg/s")

    log = folder / "recorder.log"
    command = [CLI, "run", "recorder"]
    if args.profile:
        command = [
            str(VENV_BIN / "py-spy"),
            "record",
            "--format",
            args.profile_format,
            "-o",
            str(args.profile),
            "--rate",
            "100",
            *(["--gil"] if args.profile_gil else []),
            "--",
            *command,
        ]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    try:
        assigned = wait_for(lambda: "assigned" in log.read_text(errors="replace"), proc, log, 60)
        cpu_before = recorder_cpu(proc.pid)
        machine_before = psutil.cpu_times()
        others_before = cpu_by_pid()
        with psycopg.connect(database, autocommit=True) as conn:
            done = wait_for(lambda: caught_up(conn, topic, last), proc, log, 600, interval=0.05)
        cpu = recorder_cpu(proc.pid) - cpu_before
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - (sum(machine_before) - machine_before.idle)
        others = cpu_by_name(others_before)
    finally:
        proc.send_signal(2)  # SIGINT: py-spy passes it on and writes its profile
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    seconds = done - assigned
    events = int(query(database, "SELECT count(*) FROM contacthub_events")[0][0])
    print(f"recorder: {args.messages:,} messages, {events:,} events in {seconds:.2f} s")
    print(f"  {args.messages / seconds:,.0f} messages/s, {events / seconds:,.0f} events/s")
    print(
        f"  recorder process CPU {cpu:.2f} s ({cpu / seconds:.0%} of one core);"
        f" machine busy {busy / seconds:.0%} of one core (of {psutil.cpu_count()})"
    )
    top = sorted(others.items(), key=lambda kv: -kv[1])[:6]
    print("  CPU by process name:", ", ".join(f"{n} {c / seconds:.0%}" for n, c in top))
    raw = batched_append(raw_database, folder, args.raw_events)
    print(f"raw stock batched append (500/insert): {raw:,.0f} events/s")
    print(f"ratio recorder events/s to raw: {events / seconds / raw:.2f}")
    if args.profile:
        print(f"profile: {args.profile}")
    tail = log.read_text(errors="replace").splitlines()[-3:]
    print("recorder log tail:", *tail, sep="\n  ")


def recorder_cpu(pid: int) -> float:
    """User+system seconds of the recorder (the py-spy child too, if profiling)."""
    process = psutil.Process(pid)
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        times = each.cpu_times()
        total += times.user + times.system
    return total


def caught_up(conn: psycopg.Connection[Any], topic: str, last: dict[int, int]) -> bool:
    rows = conn.execute(
        "SELECT application_name, notification_id FROM contacthub_tracking"
        " WHERE application_name LIKE %s",
        (topic + ":%",),
    ).fetchall()
    tracked = {int(name.rsplit(":", 1)[1]): offset for name, offset in rows}
    return all(tracked.get(p, -1) >= offset for p, offset in last.items())


def cpu_by_pid() -> dict[int, tuple[str, float]]:
    """(name, CPU seconds used so far) of every process on the machine."""
    used: dict[int, tuple[str, float]] = {}
    for process in psutil.process_iter(["name", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is not None:
            used[process.pid] = (process.info["name"], times.user + times.system)
    return used


def cpu_by_name(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds used since `before` by the processes alive then and now, by name."""
    used: dict[str, float] = {}
    for pid, (name, now) in cpu_by_pid().items():
        if pid in before and before[pid][0] == name:
            used[name] = used.get(name, 0.0) + now - before[pid][1]
    return used


def wait_for(ready, proc, log: Path, timeout: float, interval: float = 0.02) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise SystemExit(f"recorder exited:\n{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(interval)
    return time.perf_counter()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
