"""ABC/RFM at scale: the valuation over 100k customers and 2M order lines.

    PYTHONPATH=. .venv/bin/python bench/analytics_scale.py [--customers 100000] [--lines 2000000]

What it measures, on the embedded default (SQLite), against a real
`contacthub serve` process:

- the full recomputation: ABC classes, RFM scores and churn flags for every
  customer from the orders read model (`Valuations.snapshot`, uncached), beside
  the raw limit of the same run: the one SQL aggregate over the orders table
  that the recomputation cannot do without;
- the reads of a classification: `GET /api/v1/analytics/abc` and `.../rfm`,
  p50/p99 over sequential requests (an analyst's dashboard, not a flood).

The orders read model is filled directly (bulk INSERTs of what the orders
projection writes), not through 500k events and their projection: what is
measured is the valuation over a history of that size, not the ingest, which
bench/harness.py measures on its own. Revenue follows a Pareto draw, so few
customers make most of it, as in the demo.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx

from bench.servers import VENV_BIN, hub_env, process
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import build_hub
from tests.support.ports import free_port

CATEGORIES = ("coffee", "tea", "machines", "accessories", "sweets")
CHUNK = 20_000


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def fill_orders(hub_db: object, customers: int, lines: int, seed: int) -> tuple[int, int]:
    """Bulk-inserts orders of `customers` customers with `lines` lines in all
    into the orders read model; returns (orders, lines) written."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    ids = [str(UUID(int=rng.getrandbits(128), version=4)) for _ in range(customers)]
    # Each customer's share of the orders: a Pareto draw (few buy most).
    weights = [rng.paretovariate(1.16) for _ in ids]
    orders_rows: list[dict[str, object]] = []
    line_rows: list[dict[str, object]] = []
    written_orders = written_lines = 0
    db = hub_db  # SqlRunner
    order_sql = (
        "INSERT INTO order_orders (order_id, customer_id, ordered_at, currency, gross_cents,"
        " refund_cents, items, kept_items) VALUES (%(order_id)s, %(customer_id)s,"
        " %(ordered_at)s, 'EUR', %(gross)s, %(refund)s, %(items)s, %(kept)s)"
    )
    line_sql = (
        "INSERT INTO order_lines (order_id, sku, customer_id, ordered_at, name, category,"
        " quantity, returned, unit_cents) VALUES (%(order_id)s, %(sku)s, %(customer_id)s,"
        " %(ordered_at)s, %(name)s, %(category)s, %(quantity)s, 0, %(unit)s)"
    )

    def flush() -> None:
        with db.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            db.run_many(cursor, order_sql, orders_rows)  # type: ignore[attr-defined]
            db.run_many(cursor, line_sql, line_rows)  # type: ignore[attr-defined]
        orders_rows.clear()
        line_rows.clear()

    n = 0
    while written_lines < lines:
        customer = rng.choices(ids, weights=weights, k=CHUNK)
        for customer_id in customer:
            if written_lines >= lines:
                break
            count = rng.randint(1, 7)  # lines per order, 4 on average
            ordered_at = (now - timedelta(days=rng.uniform(1, 720))).isoformat()
            order_id = f"BENCH-{n}"
            n += 1
            gross = 0
            for k in range(count):
                quantity = rng.randint(1, 3)
                unit = rng.choice((390, 990, 1490, 4990, 29900))
                gross += quantity * unit
                line_rows.append(
                    {
                        "order_id": order_id,
                        "sku": f"SKU-{k}-{unit}",
                        "customer_id": customer_id,
                        "ordered_at": ordered_at,
                        "name": f"Product {k}",
                        "category": CATEGORIES[k % len(CATEGORIES)],
                        "quantity": quantity,
                        "unit": unit,
                    }
                )
            orders_rows.append(
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "ordered_at": ordered_at,
                    "gross": gross,
                    "refund": 0,
                    "items": count,
                    "kept": count,
                }
            )
            written_orders += 1
            written_lines += count
        flush()
        log(f"orders read model: {written_lines:,} of {lines:,} lines")
    return written_orders, written_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=300, help="reads per route")
    parser.add_argument("--out", type=Path, default=Path("bench/results/analytics_scale.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="contacthub-bench-analytics-") as tmp:
        data = Path(tmp) / "data"
        settings = Settings(data_dir=data, _env_file=None)  # type: ignore[call-arg]
        hub = build_hub(settings)
        db = hub.views.orders.db
        started = time.perf_counter()
        orders, lines = fill_orders(db, args.customers, args.lines, seed=7)
        fill_seconds = time.perf_counter() - started

        # The raw limit: one pass of the aggregate the valuation is built on.
        started = time.perf_counter()
        db.query(
            "SELECT customer_id, SUM(gross_cents - refund_cents) AS revenue_cents,"
            " COUNT(*) AS orders, MAX(ordered_at) AS last_order_at"
            " FROM order_orders GROUP BY customer_id"
        )
        raw_seconds = time.perf_counter() - started

        log("full recomputation: ABC, RFM and churn for everyone")
        started = time.perf_counter()
        snapshot = hub.valuations.snapshot()
        recompute_seconds = time.perf_counter() - started
        token = hub.tokens.create(Role.SUPERVISOR, "bench-analytics")
        hub.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = [str(VENV_BIN / "contacthub"), "serve", "--port", str(port), "--no-access-log"]
        reads: dict[str, dict[str, float]] = {}
        with (
            process(serve, hub_env(data, None), f"{base}/readyz"),
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
            ) as client,
        ):
            for route in ("/api/v1/analytics/abc", "/api/v1/analytics/rfm"):
                started = time.perf_counter()
                first = client.get(route)  # the process's own first (cold) computation
                cold = time.perf_counter() - started
                assert first.status_code == 200, first.text
                times = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    answer = client.get(route)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200
                reads[route] = {
                    "cold_s": cold,
                    "p50_ms": statistics.median(times),
                    "p99_ms": statistics.quantiles(times, n=100, method="inclusive")[98],
                }
                log(f"{route}: p99 {reads[route]['p99_ms']:.1f} ms (first {cold:.1f} s)")

    result = {
        "customers": args.customers,
        "buyers": len(snapshot.rfm),
        "orders": orders,
        "order_lines": lines,
        "fill_seconds": fill_seconds,
        "recompute_seconds": recompute_seconds,
        "raw_aggregate_seconds": raw_seconds,
        "classes": {c.name: c.customers for c in snapshot.classes},
        "reads": reads,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(
        f"ABC/RFM over {len(snapshot.rfm):,} buyers, {orders:,} orders, {lines:,} order lines\n"
        f"  full recomputation  {recompute_seconds:6.1f} s   (target < 60 s; raw aggregate"
        f" {raw_seconds:.1f} s, {recompute_seconds / raw_seconds:.1f}x of it)\n"
        + "\n".join(
            f"  GET {route:<24} p99 {r['p99_ms']:6.1f} ms   (target < 50 ms; p50 {r['p50_ms']:.1f})"
            for route, r in reads.items()
        )
    )


if __name__ == "__main__":
    main()
