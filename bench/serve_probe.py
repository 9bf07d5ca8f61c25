"""Signed SMS webhooks/s through a real `contacthub serve` process (group commit,
embedded store), on SQLite and PostgreSQL, beside the trivial FastAPI endpoint
measured in the same run.

    PYTHONPATH=. .venv/bin/python bench/serve_probe.py [--seconds 10] [--store sqlite]

The same scenario as the harness's `contacthub serve` rows (bench/scenarios.py,
`gateway`): prepared signed webhooks replayed by wrk, 32 connections; afterwards
the store is read to check that every webhook answered 200 was recorded.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.raw import trivial_endpoint
from bench.scenarios import gateway
from tests.support.postgres import create_database, drop_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="contacthub-serve-probe-"))
    trivial, _ = trivial_endpoint(work / "trivial", args.seconds)
    print(
        f"trivial endpoint: {trivial.requests_per_second:,.0f} req/s"
        f" (p50 {trivial.p50_ms:.1f} ms, p99 {trivial.p99_ms:.1f} ms)"
    )
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    for store in stores:
        url = create_database() if store == "postgres" else None
        try:
            result = gateway(work / f"serve-{store}", url, args.seconds)
        finally:
            if url:
                drop_database(url)
        load = result.load
        answered = load.requests - load.non_2xx
        print(
            f"serve ({store}): {load.requests_per_second:,.0f} webhooks/s"
            f" (p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms),"
            f" {load.requests_per_second / trivial.requests_per_second:.0%} of trivial;"
            f" {answered:,} answered 2xx, {result.recorded:,} recorded,"
            f" {load.non_2xx} non-2xx, {load.errors} socket errors,"
            f" peak RSS {result.peak_rss / 2**20:.0f} MiB"
        )


if __name__ == "__main__":
    main()
