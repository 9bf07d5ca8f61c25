"""Probe: the console's main pages, p50/p99 on the demo data, beside a trivial endpoint.

Loads `contacthub demo` into a fresh embedded hub (SQLite), creates a
supervisor, starts `contacthub serve --no-access-log`, logs in once (the
session cookie and CSRF token as a browser gets them) and requests each page
in turn, one client at a time (latency, not saturation). Login itself is not
measured. Beside it, the trivial FastAPI endpoint (bench/trivial_app.py) on
the same server stack. Not part of the test run.

    PYTHONPATH=. .venv/bin/python bench/console_probe.py [--customers 200]
        [--interactions 4000] [--requests 200]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.servers import VENV_BIN, hub_env, process
from tests.support.ports import free_port

SUPERVISOR = ("bench.super", "Bench-Passwort-1")
CUSTOMER_LINK = re.compile(r'href="/customers/([0-9a-f-]{36})"')
INTERACTION_LINK = re.compile(r'href="/interactions/([0-9a-f-]{36})"')
QUEUE_LINK = re.compile(r'href="/queues/([^"?]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def measure(client: httpx.Client, path: str, requests: int) -> tuple[float, float]:
    for _ in range(10):  # warm caches and connections, as a working day would
        client.get(path).raise_for_status()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - started)
        answer.raise_for_status()
    return percentiles(samples)


def log_in(client: httpx.Client) -> None:
    form = client.get("/login")
    [csrf] = CSRF.findall(form.text)[:1]
    answer = client.post(
        "/login", data={"username": SUPERVISOR[0], "password": SUPERVISOR[1], "csrf": csrf}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"login refused: {answer.status_code}")


def main_pages(client: httpx.Client) -> list[tuple[str, str]]:
    """The pages an agent's day goes through, with ids found as a person would."""
    home = client.get("/").text
    queue = QUEUE_LINK.findall(home)[0]
    found = client.get("/customers", params={"q": "Mül"}).text
    customer = CUSTOMER_LINK.findall(found)[0]
    page = client.get(f"/customers/{customer}").text
    interaction = INTERACTION_LINK.findall(page)[0]
    return [
        ("start page (queues, my cases)", "/"),
        ("search 'Mül'", "/customers?q=M%C3%BCl"),
        ("customer page", f"/customers/{customer}"),
        ("timeline page (htmx)", f"/customers/{customer}/timeline"),
        ("interaction", f"/interactions/{interaction}"),
        ("queue", f"/queues/{queue}"),
        ("dashboard", "/dashboard"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--interactions", type=int, default=4000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    cli = str(VENV_BIN / "contacthub")
    with tempfile.TemporaryDirectory(prefix="contacthub-console-probe-") as folder:
        env = hub_env(Path(folder) / "data", None)
        demo = [cli, "demo", "--customers", str(args.customers)]
        demo += ["--interactions", str(args.interactions)]
        subprocess.run(demo, env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            [cli, "user", "create", SUPERVISOR[0], "--role", "supervisor"],
            env=env,
            input=SUPERVISOR[1].encode(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = [cli, "serve", "--port", str(port), "--no-access-log"]
        rows: list[tuple[str, float, float]] = []
        with (
            process(serve, env, base + "/healthz"),
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            log_in(client)
            for name, path in main_pages(client):
                rows.append((name, *measure(client, path, args.requests)))
        trivial_port = free_port()
        trivial = [str(VENV_BIN / "uvicorn"), "bench.trivial_app:app", "--port", str(trivial_port)]
        trivial.append("--no-access-log")
        trivial_base = f"http://127.0.0.1:{trivial_port}"
        with (
            process(trivial, env, trivial_base + "/ping"),
            httpx.Client(base_url=trivial_base, timeout=30) as ping,
        ):
            rows.append(("trivial endpoint (raw limit)", *measure(ping, "/ping", args.requests)))
    print(
        f"demo: {args.customers} customers, {args.interactions} interactions;"
        f" {args.requests} requests per page, one client"
    )
    print("| page | p50 ms | p99 ms |\n|---|---:|---:|")
    for name, p50, p99 in rows:
        print(f"| {name} | {p50:.1f} | {p99:.1f} |")


if __name__ == "__main__":
    main()
