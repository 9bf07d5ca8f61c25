"""Probe: `contacthub replay` on PostgreSQL, events/s and where the time goes.

Loads a demo history of N interactions into a fresh database (kept with
`--keep`, reused with `--database`), then rebuilds every read model as
`contacthub replay` does and prints, beside the total, the seconds spent
reading and decoding the log (in the read-ahead thread), in each view's
writes and in building the deferred indexes. Beside it, the raw limit of the
same run: reading and decoding the same log with the library alone.

    PYTHONPATH=. .venv/bin/python bench/replay_probe.py [--interactions 200000]
        [--keep] [--database URL --data-dir DIR] [--profile /tmp/replay.svg]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil

from bench.raw import notification_read
from services.app.demo import load_demo
from services.entry.workers.processes import tune_gc_for_batches
from services.infra.settings import Settings
from services.wiring.hub import build_hub
from tests.support.postgres import create_database, drop_database


def timed_views(hub: Any, spent: dict[str, float]) -> None:
    """Wraps each view's batch and index writes in a stopwatch."""
    for view in hub.views.all:
        for method in ("process_batch", "create_indexes"):
            original = getattr(view, method)

            def wrapper(*args: Any, _o: Any = original, _k: str = f"{view.name}.{method}") -> Any:
                started = time.perf_counter()
                try:
                    return _o(*args)
                finally:
                    spent[_k] += time.perf_counter() - started

            setattr(view, method, wrapper)


def decoded_read(store: Any, total: int, page: int = 2000) -> float:
    """Events/s reading and decoding the whole log with our store (keys, AES, pydantic)."""
    started = time.perf_counter()
    position = 0
    while position < total and (found := store.notifications(position, page)):
        position = found[-1][0]
    return total / (time.perf_counter() - started)


def postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL server's processes on this machine."""
    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] and proc.info["name"].startswith("postgres"):
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--database", default=None, help="reuse this database's history")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="its master key (with --database)"
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy flame graph")
    args = parser.parse_args()

    url = args.database or create_database()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="replay-probe-"))
    settings = Settings(data_dir=data_dir, database_url=url, _env_file=None)
    try:
        hub = build_hub(settings)
        if args.database is None:
            print(f"loading {args.interactions:,} interactions into {url}", flush=True)
            load_demo(
                hub.store,
                secret=hub.address_secret,
                customers=max(1, args.interactions // 20),
                interactions=args.interactions,
                seed=7,
                batch_size=2000,
            )
        events = hub.store.max_notification_id()
        tune_gc_for_batches()  # as `contacthub replay` does
        # The raw limit as the harness measures it: the library's read and JSON decode.
        raw = notification_read(url, data_dir, "contacthub")
        decoded = decoded_read(hub.store, events)
        print(f"raw: library read of {events:,} notifications: {raw:,.0f} events/s", flush=True)
        print(f"ours: select and decode (AES, pydantic): {decoded:,.0f} events/s", flush=True)
        if args.profile:
            profiler = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "-o", str(args.profile),
                 "--pid", str(__import__("os").getpid()), "--rate", "200",
                 # a .txt path gets py-spy's raw (collapsed) stacks, for grep and sums
                 *(["--format", "raw"] if args.profile.suffix == ".txt" else [])]
            )  # fmt: skip
            time.sleep(1)
        spent: dict[str, float] = defaultdict(float)
        timed_views(hub, spent)
        started, ours, server = time.perf_counter(), time.process_time(), postgres_cpu()
        hub.projector.rebuild()
        seconds = time.perf_counter() - started
        ours, server = time.process_time() - ours, postgres_cpu() - server
        if args.profile:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT only
            profiler.wait()
        print(f"replay: {events:,} events in {seconds:.1f} s: {events / seconds:,.0f} events/s")
        rate = events / seconds
        print(f"ratio to the raw read: {rate / raw:.0%}, to our decoded read: {rate / decoded:.0%}")
        print(f"CPU: this process {ours / seconds:.2f} cores, PostgreSQL {server / seconds:.2f}")
        for name, value in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {name:40s} {value:7.1f} s  {value / seconds:5.0%}")
    finally:
        if not args.keep and args.database is None:
            drop_database(url)
        elif args.database is None:
            print(f"kept: --database {url} --data-dir {data_dir}")


if __name__ == "__main__":
    main()
