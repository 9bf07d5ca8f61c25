"""The benchmark: raw limits and our figures in one run, on this machine.

    bash bench/run.sh [--quick] [--out DIR]

Writes DIR/<stamp>.json, DIR/<stamp>.md (the table) and DIR/<stamp>.png (the
plot), and prints the table. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import live, pipeline, raw, reads, report, scenarios
from tests.support.postgres import create_database, drop_database

TARGETS = {
    "ingest_per_s": 10_000.0,
    "lag_p99_s": 1.0,
    "gateway_rps": 2000.0,
    "gateway_p99_ms": 50.0,
    "c360_p99_ms": 20.0,
    "replay_eps": 50_000.0,
    "recompute_s": 60.0,
    "live_update_s": 1.0,
} | {f"{name}_p99_ms": target for name, (_, target) in reads.TARGETS.items()}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, object]:
    import psutil

    return {
        "cpus": raw.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small data, short runs (< 3 min)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        help="history sizes in interactions, e.g. 200000,1000000,2000000 (the default)",
    )
    parser.add_argument(
        "--per-customer", type=int, default=20, help="interactions per customer (default 20)"
    )
    parser.add_argument(
        "--soak-seconds", type=int, help="the memory soak's length (600; 20 with --quick)"
    )
    parser.add_argument(
        "--skip-pipeline",
        action="store_true",
        help="leave out Kafka, the gateways and ingest (their rows then say 'not run')",
    )
    args = parser.parse_args()
    quick = args.quick
    seconds = 3 if quick else 20
    read_seconds = 1 if quick else 5  # per read, 13 reads per history size
    sizes = args.sizes or ([5_000, 10_000, 20_000] if quick else [200_000, 1_000_000, 2_000_000])
    soak_seconds = args.soak_seconds or (20 if quick else 600)
    raw_events = 10_000 if quick else 200_000
    ingest_count = 10_000 if quick else 800_000  # >= 60 s at the recorder's ~12k/s
    lag_seconds = 5 if quick else 60
    live_count = 10 if quick else 100

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="contacthub-bench-"))
    result: dict[str, object] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": machine(),
    }
    databases: list[str] = []

    def database() -> str:
        databases.append(create_database())
        return databases[-1]

    try:
        log("raw: eventsourcing batched append (500 per insert), PostgreSQL and SQLite")
        pg_raw = database()
        result["raw_append_pg_eps"] = raw.batched_append(pg_raw, work / "raw", raw_events)
        result["raw_append_sqlite_eps"] = raw.batched_append(None, work / "raw-lite", raw_events)
        log("raw: notification-log read with decoding (PostgreSQL)")
        result["raw_read_pg_eps"] = raw.notification_read(pg_raw, work / "raw", "raw")
        log("raw: trivial FastAPI endpoint (uvicorn, one worker) under wrk")
        trivial, trivial_rss = raw.trivial_endpoint(work, seconds)
        result["raw_trivial_rps"] = trivial.requests_per_second
        result["raw_trivial_p99_ms"] = trivial.p99_ms

        if not args.skip_pipeline:
            with pipeline.broker() as bootstrap:
                log("raw: aiokafka produce and consume against the tansu broker")
                produced, consumed = pipeline.raw_kafka(bootstrap, 50_000 if quick else 200_000)
                result["raw_kafka_produce_mps"] = produced
                result["raw_kafka_consume_mps"] = consumed
                log("gateway: signed webhooks on `contacthub run gateway` (Kafka, acks=all)")
                gw_load, gw_rss = pipeline.gateway(work, bootstrap, seconds)
                result["gateway_kafka"] = {
                    "rps": gw_load.requests_per_second,
                    "p50_ms": gw_load.p50_ms,
                    "p99_ms": gw_load.p99_ms,
                    "sent": gw_load.requests,
                    "non_2xx": gw_load.non_2xx,
                    "socket_errors": gw_load.errors,
                    "peak_rss_mib": gw_rss / 2**20,
                    "ratio_to_trivial": gw_load.requests_per_second / trivial.requests_per_second,
                }
                log(f"ingest: {ingest_count:,} interactions through recorder and projector")
                ing = pipeline.ingest(work, bootstrap, ingest_count, log)
                result["ingest"] = {
                    "interactions": ing.interactions,
                    "seconds": ing.seconds,
                    "rate": ing.rate,
                    "series": ing.series,
                    "peak_rss_mib": {k: v / 2**20 for k, v in ing.peak_rss.items()},
                }
                log(f"lag: 1,000 interactions/s for {lag_seconds} s")
                lags, lag_rss = pipeline.lag(work, bootstrap, 1000, lag_seconds)
                lags.sort()
                result["lag"] = {
                    "count": len(lags),
                    "p50_s": lags[len(lags) // 2] if lags else None,
                    "p99_s": lags[int(len(lags) * 0.99)] if lags else None,
                    "max_s": lags[-1] if lags else None,
                    "peak_rss_mib": {k: v / 2**20 for k, v in lag_rss.items()},
                }

            for store, url in (("sqlite", None), ("postgres", database())):
                log(f"gateway: signed Twilio webhooks on one worker ({store}, embedded bus)")
                gw = scenarios.gateway(work / f"gw-{store}", url, seconds)
                result[f"gateway_{store}"] = {
                    "rps": gw.load.requests_per_second,
                    "p50_ms": gw.load.p50_ms,
                    "p99_ms": gw.load.p99_ms,
                    "sent": gw.load.requests,
                    "non_2xx": gw.load.non_2xx,
                    "socket_errors": gw.load.errors,
                    "recorded": gw.recorded,
                    "peak_rss_mib": gw.peak_rss / 2**20,
                    "ratio_to_trivial": gw.load.requests_per_second / trivial.requests_per_second,
                }

        log(f"live update: webhook -> console stream -> timeline ({live_count} messages)")
        lu = live.live_update(work / "live", live_count)
        result["live_update"] = {
            "count": lu.count,
            "event_p50_ms": lu.event_p50_ms,
            "event_p99_ms": lu.event_p99_ms,
            "event_max_ms": lu.event_max_ms,
            "visible_p50_ms": lu.visible_p50_ms,
            "visible_p99_ms": lu.visible_p99_ms,
            "visible_max_ms": lu.visible_max_ms,
            "peak_rss_mib": lu.peak_rss / 2**20,
        }
        log(f"soak: webhooks on `contacthub serve` for {soak_seconds} s, RSS every second")
        so = live.soak(work / "soak", soak_seconds)
        result["soak"] = {
            "seconds": so.seconds,
            "requests": so.requests,
            "rps": so.rps,
            "peak_rss_mib": so.peak_rss / 2**20,
            "first_quarter_mib": so.first_quarter_mib,
            "last_quarter_mib": so.last_quarter_mib,
            "series": [(round(t, 1), round(b / 2**20, 1)) for t, b in so.series],
        }

        log("history: every read as history grows (PostgreSQL)")
        history_url = database()
        points = scenarios.grow_and_measure(
            work / "history", history_url, sizes, read_seconds, log, args.per_customer
        )
        result["history"] = [
            {
                "customers": p.customers,
                "interactions": p.interactions,
                "order_lines": p.order_lines,
                "load_interactions_per_s": (p.interactions - (sizes[i - 1] if i else 0))
                / p.load_seconds,
                "project_events_per_s": p.projected_events / p.project_seconds,
                "recompute_s": p.recompute_seconds,
                "c360_rps": p.c360.requests_per_second,
                "c360_p50_ms": p.c360.p50_ms,
                "c360_p99_ms": p.c360.p99_ms,
                "timeline_p50_ms": p.timeline.p50_ms,
                "timeline_p99_ms": p.timeline.p99_ms,
                "reads": reads.as_figures(p.reads),
                "api_peak_rss_mib": p.peak_rss / 2**20,
            }
            for i, p in enumerate(points)
        ]
        log("replay: rebuild all read models from the store (PostgreSQL)")
        replay_eps, replayed = scenarios.replay(work / "history", history_url)
        result["replay_eps"] = replay_eps
        result["replay_events"] = replayed
        log("raw: notification-log read of the same store")
        result["raw_read_history_eps"] = raw.notification_read(
            history_url, work / "history", "contacthub"
        )
        result["trivial_peak_rss_mib"] = trivial_rss / 2**20
    finally:
        for url in databases:
            drop_database(url)
        shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = time.perf_counter() - started
    result["targets"] = TARGETS

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if quick else "")
    (args.out / f"{stamp}.json").write_text(json.dumps(result, indent=2))
    table = report.markdown(result)
    (args.out / f"{stamp}.md").write_text(table)
    report.plot(result, args.out / f"{stamp}.png")
    print(table)
    log(f"wrote {args.out / stamp}.json, .md and .png in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
