"""What agents and supervisors read, at one history size: the agent API (360,
timeline page, search by name, phone, email and a word of a message), the
console's pages (customer page, queue, dashboard) and the analytics reads
(ABC, RFM, reports). Each is replayed by wrk on 4 connections (latency, not
saturation) against `contacthub run api`, with queries drawn from the data as
an agent would type them."""

from __future__ import annotations

import random
import re
import subprocess
from urllib.parse import quote

import httpx
import psycopg

from bench.load import LoadResult, request_line, run_wrk
from bench.servers import VENV_BIN

READERS = 4
SUPERVISOR = ("bench.super", "Bench-Passwort-1")
ORDER_NUMBER = re.compile(r"A-\d{6}")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
QUEUE_LINK = re.compile(r'href="/queues/([^"?]+)"')
SAMPLE = 2000

# name -> (group, target p99 ms)
TARGETS: dict[str, tuple[str, float]] = {
    "c360": ("api", 20.0),
    "timeline": ("api", 20.0),
    "search_name": ("search", 50.0),
    "search_phone": ("search", 50.0),
    "search_email": ("search", 50.0),
    "search_word": ("search", 50.0),
    "console_customer": ("console", 100.0),
    "console_queue": ("console", 100.0),
    "console_dashboard": ("console", 100.0),
    "analytics_abc": ("analytics", 50.0),
    "analytics_rfm": ("analytics", 50.0),
    "report_revenue_by_class": ("analytics", 50.0),
    "report_channel_mix": ("analytics", 50.0),
}


def create_supervisor(env: dict[str, str]) -> None:
    """The console's user (once per store; a second run finds it there)."""
    subprocess.run(
        [str(VENV_BIN / "contacthub"), "user", "create", SUPERVISOR[0], "--role", "supervisor"],
        env=env,
        input=SUPERVISOR[1].encode(),
        check=False,
        capture_output=True,
    )


def console_session(base: str) -> tuple[str, str]:
    """(Cookie header, a queue's name): logged in as a browser would."""
    with httpx.Client(base_url=base, timeout=60) as client:
        [csrf] = CSRF.findall(client.get("/login").text)[:1]
        answer = client.post(
            "/login", data={"username": SUPERVISOR[0], "password": SUPERVISOR[1], "csrf": csrf}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"console login refused: {answer.status_code}")
        queues = QUEUE_LINK.findall(client.get("/").text) or ["beschwerden"]
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return cookie, queues[0]


def national(e164: str) -> str:
    """How a German agent types a number read out on the phone: 0176 1234567."""
    return "0" + e164[3:] if e164.startswith("+49") else e164


def queries(database_url: str, seed: int) -> dict[str, list[str]]:
    """Search texts drawn from the data: a full name in the other order, a
    number in national format, an email address, an order number a message
    mentions."""
    rng = random.Random(seed)
    with psycopg.connect(database_url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT display_name FROM c360_customers WHERE display_name <> ''"
                " ORDER BY random() LIMIT %s",
                (SAMPLE,),
            )
        ]
        addresses = conn.execute(
            "SELECT channel, address FROM identity_addresses ORDER BY random() LIMIT %s",
            (SAMPLE * 4,),
        ).fetchall()
        texts = [
            r[0]
            for r in conn.execute(
                "SELECT summary FROM c360_timeline TABLESAMPLE SYSTEM (2) REPEATABLE (%s)"
                " WHERE summary LIKE %s LIMIT %s",
                (seed, "%A-%", SAMPLE),
            )
        ]
    words = [m for t in texts for m in ORDER_NUMBER.findall(t)]
    found = {
        "search_name": [" ".join(reversed(n.split())) for n in names],
        "search_phone": [national(a) for c, a in addresses if a.startswith("+")],
        "search_email": [a for c, a in addresses if c == "email"],
        "search_word": words,
    }
    for values in found.values():
        rng.shuffle(values)
    return {k: v for k, v in found.items() if v}


def request_lines(
    ids: list[str], searches: dict[str, list[str]], token: str, cookie: str, queue: str
) -> dict[str, list[str]]:
    api = {"Authorization": f"Bearer {token}"}
    browser = {"Cookie": cookie}
    lines = {
        "c360": [request_line("GET", f"/api/v1/customers/{i}", api) for i in ids],
        "timeline": [
            request_line("GET", f"/api/v1/customers/{i}/timeline?limit=20", api) for i in ids
        ],
        "console_customer": [request_line("GET", f"/customers/{i}", browser) for i in ids],
        "console_queue": [request_line("GET", f"/queues/{queue}", browser)],
        "console_dashboard": [request_line("GET", "/dashboard", browser)],
        "analytics_abc": [request_line("GET", "/api/v1/analytics/abc", api)],
        "analytics_rfm": [request_line("GET", "/api/v1/analytics/rfm", api)],
        "report_revenue_by_class": [request_line("GET", "/api/v1/reports/revenue-by-class", api)],
        "report_channel_mix": [request_line("GET", "/api/v1/reports/channel-mix", api)],
    }
    for name, texts in searches.items():
        lines[name] = [
            request_line("GET", f"/api/v1/customers?q={quote(q)}&limit=20", api) for q in texts
        ]
    return lines


def warm(base: str, lines: dict[str, list[str]]) -> None:
    """One request of each kind first: the valuation snapshot is computed on
    the first analytics read (its time is measured on its own), pages compile
    their templates once."""
    with httpx.Client(base_url=base, timeout=300) as client:
        for entries in lines.values():
            method, path, headers, _ = entries[0].split("\t")
            pairs = dict(h.split(": ", 1) for h in headers.split("|") if h)
            client.request(method, path, headers=pairs)


def measure(base: str, lines: dict[str, list[str]], seconds: int) -> dict[str, LoadResult]:
    warm(base, lines)
    return {
        name: run_wrk(base, entries, seconds=seconds, connections=READERS)
        for name, entries in lines.items()
    }


def as_figures(results: dict[str, LoadResult]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "p50_ms": r.p50_ms,
            "p99_ms": r.p99_ms,
            "rps": r.requests_per_second,
            "requests": r.requests,
            "non_2xx": r.non_2xx,
            "socket_errors": r.errors,
        }
        for name, r in results.items()
    }


def order_lines(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT COUNT(*) FROM order_lines").fetchone()
    return int(row[0]) if row else 0
