"""Our figures: gateway, every read as history grows, replay."""

from __future__ import annotations

import base64
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from adapters.sms.verify import twilio_signature
from bench import reads
from bench.load import LoadResult, request_line, run_wrk
from bench.servers import VENV_BIN, hub_env, process
from services.app.demo import load_demo
from services.app.demo_orders import load_demo_orders
from services.entry.workers.processes import tune_gc_for_batches
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import build_hub
from tests.support.ports import free_port

AUTH_TOKEN = "bench-twilio-token"
ACCOUNT = "AC" + "b" * 32


def serve_args(port: int) -> list[str]:
    return [str(VENV_BIN / "contacthub"), "serve", "--port", str(port), "--no-access-log"]


def signed_webhooks(public_url: str, count: int, senders: int) -> list[str]:
    """`count` distinct inbound SMS (distinct MessageSids) from `senders` numbers."""
    path = "/webhooks/twilio/sms"
    rng = random.Random(7)
    lines = []
    for n in range(count):
        form = {
            "MessageSid": f"SM{rng.getrandbits(128):032x}",
            "AccountSid": ACCOUNT,
            "From": f"+49176{10_000_000 + n % senders}",
            "To": "+4930901820",
            "Body": "Hallo, meine Bestellung ist noch nicht angekommen.",
            "NumMedia": "0",
        }
        signature = twilio_signature(AUTH_TOKEN, public_url + path, form)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        lines.append(request_line("POST", path, headers, urlencode(form)))
    return lines


@dataclass(frozen=True)
class GatewayResult:
    load: LoadResult
    peak_rss: int
    recorded: int


def gateway(data_dir: Path, database_url: str | None, seconds: int) -> GatewayResult:
    """Signed Twilio webhooks/s on one worker of `contacthub serve` (embedded bus)."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = hub_env(
        data_dir,
        database_url,
        CONTACTHUB_PUBLIC_URL=public,
        CONTACTHUB_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
    )
    # More distinct messages than the run can send, so none is a duplicate.
    lines = signed_webhooks(public, count=seconds * 4000, senders=5000)
    with process(serve_args(port), env, public + "/readyz") as rss:
        load = run_wrk(public, lines, seconds=seconds)
    hub = build_hub(Settings(data_dir=data_dir, database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    recorded = sum(1 for _, e in hub.store.notifications(0, 10_000_000) if e.type == "SmsReceived")
    return GatewayResult(load, rss.peak, recorded)


@dataclass(frozen=True)
class HistoryPoint:
    customers: int
    interactions: int
    order_lines: int
    load_seconds: float
    project_seconds: float
    projected_events: int
    recompute_seconds: float
    reads: dict[str, LoadResult]
    peak_rss: int

    @property
    def c360(self) -> LoadResult:
        return self.reads["c360"]

    @property
    def timeline(self) -> LoadResult:
        return self.reads["timeline"]


def settle(database_url: str) -> None:
    """What autovacuum and the checkpointer would have done by steady state. The
    reads are measured at steady state: without this, autovacuum's pass over
    the freshly loaded tables and the checkpoint after the load ran during the
    first measurement (a p99 of 432 ms at 200,000 interactions, p50 6.5 ms)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def grow_and_measure(
    data_dir: Path,
    database_url: str,
    sizes: list[int],
    seconds: int,
    progress: Callable[[str], None],
    per_customer: int = 20,
) -> list[HistoryPoint]:
    """Loads demo histories in steps (`per_customer` interactions per new
    customer, and the demo's orders for them) and measures every read after
    each step: the p99s must stay flat as history grows."""
    settings = Settings(data_dir=data_dir, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    hub = build_hub(settings)
    token = hub.tokens.create(Role.SUPERVISOR, "bench")
    points: list[HistoryPoint] = []
    loaded = 0
    now = datetime.now(UTC)
    master = (data_dir / "master.key").read_text().strip()
    # `contacthub run api` refuses to start without its secrets (services/infra/secrets.py).
    audit_key = base64.b64encode(os.urandom(32)).decode()
    # One bench token reads as fast as it can: the per-token limit (6000/minute by
    # default) would answer 429 within seconds and the latencies would be of refusals.
    env = hub_env(
        data_dir,
        database_url,
        CONTACTHUB_MASTER_KEY=master,
        CONTACTHUB_AUDIT_SIGNING_KEY=audit_key,
        CONTACTHUB_RATE_LIMIT_API="",
    )
    reads.create_supervisor(env)
    for step, size in enumerate(sizes):
        add = size - loaded
        customers = max(1, add // per_customer)
        progress(f"history: adding {add:,} interactions ({customers:,} customers, their orders)")
        started = time.perf_counter()
        demo = load_demo(
            hub.store,
            secret=hub.address_secret,
            customers=customers,
            interactions=add,
            seed=1000 + step,
            batch_size=2000,
        )
        load_demo_orders(hub.store, demo.customer_ids, seed=1000 + step, now=now)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        # catch_up counts an event once per view that applied it.
        projected = hub.projector.catch_up() // len(hub.views.all)
        project_seconds = time.perf_counter() - started
        progress("history: VACUUM ANALYZE and CHECKPOINT after the bulk load")
        settle(database_url)
        started = time.perf_counter()
        hub.valuations.snapshot()  # ABC, RFM and churn for everyone, from the orders
        recompute_seconds = time.perf_counter() - started
        loaded = size
        ids = [
            r["customer_id"]
            for r in hub.views.customer360.db.query("SELECT customer_id FROM c360_customers")
        ]
        random.Random(step).shuffle(ids)
        searches = reads.queries(database_url, seed=step)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # The agent API and console as deployed (`contacthub run api`): reads
        # only, no projector or policies in the process.
        api = [str(VENV_BIN / "contacthub"), "run", "api", "--port", str(port), "--no-access-log"]
        with process(api, env, f"{base}/readyz") as rss:
            progress(f"history: measuring reads at {size:,} interactions")
            cookie, queue = reads.console_session(base)
            lines = reads.request_lines(ids[:5000], searches, token, cookie, queue)
            # Latency, not saturation: 4 agents' consoles reading back to back (at
            # 32 connections the p99 would only measure the queue, by Little's law).
            measured = reads.measure(base, lines, seconds)
            peak = rss.peak
        points.append(
            HistoryPoint(
                customers=len(ids),
                interactions=size,
                order_lines=reads.order_lines(database_url),
                load_seconds=load_seconds,
                project_seconds=project_seconds,
                projected_events=projected,
                recompute_seconds=recompute_seconds,
                reads=measured,
                peak_rss=peak,
            )
        )
    return points


def replay(data_dir: Path, database_url: str | None) -> tuple[float, int]:
    """Events/s rebuilding all read models from the store (what `contacthub replay`
    does after its start-up): drop every view, project the whole log, index."""
    hub = build_hub(Settings(data_dir=data_dir, database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    events = hub.store.max_notification_id()
    tune_gc_for_batches()  # as `contacthub replay` does
    started = time.perf_counter()
    hub.projector.rebuild()
    return events / (time.perf_counter() - started), events
