"""Two figures of `contacthub serve` (embedded, SQLite) over time:

- live update: a signed SMS webhook posted while a console listens on the
  stream (`GET /api/v1/stream`, what the customer page subscribes to) -> the
  `interaction` event for it received, and -> the message on the customer's
  timeline page (what the page fetches on that event); one at a time;
- soak: signed webhooks under wrk for a while, the process's RSS sampled every
  second, to show that memory levels off instead of growing without bound.
"""

from __future__ import annotations

import queue
import random
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from adapters.sms.verify import twilio_signature
from bench.load import run_wrk
from bench.scenarios import ACCOUNT, AUTH_TOKEN, serve_args, signed_webhooks
from bench.servers import VENV_BIN, hub_env, process
from tests.support.ports import free_port

PHONE = "+4917655500011"


def serve_env(data_dir: Path, public: str) -> dict[str, str]:
    return hub_env(
        data_dir, None, CONTACTHUB_PUBLIC_URL=public, CONTACTHUB_TWILIO_AUTH_TOKEN=AUTH_TOKEN
    )


def token(env: dict[str, str]) -> str:
    import subprocess

    out = subprocess.run(
        [str(VENV_BIN / "contacthub"), "token", "create", "--role", "agent", "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


class Stream:
    """Reads the SSE stream in a thread; queues (arrival time, data) of each
    `interaction` event."""

    def __init__(self, url: str, bearer: str) -> None:
        self.events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        request = self._client.build_request(
            "GET", url, headers={"Authorization": f"Bearer {bearer}"}
        )
        self._response = self._client.send(request, stream=True)
        self._response.raise_for_status()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = ""
        try:
            for line in self._response.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind == "interaction":
                    self.events.put((time.perf_counter(), orjson.loads(line[5:])))
        except httpx.HTTPError:
            return

    def close(self) -> None:
        self._response.close()
        self._client.close()


@dataclass(frozen=True)
class LiveResult:
    count: int
    event_p50_ms: float
    event_p99_ms: float
    event_max_ms: float
    visible_p50_ms: float
    visible_p99_ms: float
    visible_max_ms: float
    peak_rss: int


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000, max(samples) * 1000


def live_update(data_dir: Path, count: int) -> LiveResult:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = serve_env(data_dir, public)
    bearer = token(env)
    rng = random.Random(11)
    path = "/webhooks/twilio/sms"
    to_event: list[float] = []
    to_visible: list[float] = []
    with process(serve_args(port), env, public + "/readyz") as rss:
        stream = Stream(public + "/api/v1/stream", bearer)
        api = httpx.Client(base_url=public, headers={"Authorization": f"Bearer {bearer}"})
        try:
            for n in range(count + 3):  # the first ones register the customer, warm up
                sid = f"SM{rng.getrandbits(128):032x}"
                form = {
                    "MessageSid": sid,
                    "AccountSid": ACCOUNT,
                    "From": PHONE,
                    "To": "+4930901820",
                    "Body": f"Live {n}",
                    "NumMedia": "0",
                }
                signature = twilio_signature(AUTH_TOKEN, public + path, form)
                started = time.perf_counter()
                answer = api.post(
                    path,
                    content=urlencode(form),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": signature,
                    },
                )
                answer.raise_for_status()
                arrived, data = stream.events.get(timeout=10)
                customer = data["customer_id"]
                while True:  # what the page does on the event: fetch the timeline
                    page = api.get(f"/api/v1/customers/{customer}/timeline", params={"limit": 5})
                    if f"Live {n}" in page.text:
                        break
                    if time.perf_counter() - started > 10:
                        raise RuntimeError("message not on the timeline within 10 s")
                    time.sleep(0.005)
                if n >= 3:
                    to_event.append(arrived - started)
                    to_visible.append(time.perf_counter() - started)
        finally:
            stream.close()
            api.close()
        peak = rss.peak
    e = _percentiles(to_event)
    v = _percentiles(to_visible)
    return LiveResult(count, *e, *v, peak)


@dataclass(frozen=True)
class SoakResult:
    seconds: int
    requests: int
    rps: float
    series: list[tuple[float, int]]
    peak_rss: int
    first_quarter_mib: float
    last_quarter_mib: float


def soak(data_dir: Path, seconds: int) -> SoakResult:
    """Webhooks on `contacthub serve` for `seconds`; RSS every second."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = serve_env(data_dir, public)
    # Distinct messages for the first minutes; wrk then cycles (duplicates are
    # answered too: idempotent, still a request).
    lines = signed_webhooks(public, count=min(seconds * 1000, 60_000), senders=20_000)
    with process(serve_args(port), env, public + "/readyz") as rss:
        # 8 connections: a steady load that leaves the machine some air.
        load = run_wrk(public, lines, seconds=seconds, connections=8)
        series = list(rss.series)
        peak = rss.peak
    quarter = max(1, len(series) // 4)
    first = statistics.fmean(b for _, b in series[:quarter]) / 2**20
    last = statistics.fmean(b for _, b in series[-quarter:]) / 2**20
    return SoakResult(seconds, load.requests, load.requests_per_second, series, peak, first, last)
