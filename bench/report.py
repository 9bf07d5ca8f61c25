"""The Markdown table and the plot of one bench result."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _row(name: str, value: str, raw: str, ratio: str, target: str, met: bool | None) -> str:
    mark = "" if met is None else ("met" if met else "**missed**")
    return f"| {name} | {value} | {raw} | {ratio} | {target} | {mark} |"


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Run {r['started_at']} ({r['mode']}), {m['cpus']} cores, {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['platform']}; {r['seconds']:.0f} s.",
        "",
        "| figure | ours | raw limit (same run) | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    trivial = r["raw_trivial_rps"]
    if "ingest" in r:
        i = r["ingest"]
        lines.append(
            _row(
                f"ingest, Kafka -> store -> 360"
                f" ({i['interactions']:,} interactions, {i['seconds']:.0f} s)",
                f"{i['rate']:,.0f}/s",
                f"batched append {r['raw_append_pg_eps']:,.0f} events/s; "
                f"Kafka consume {r['raw_kafka_consume_mps']:,.0f}/s",
                f"{i['rate'] / r['raw_append_pg_eps']:.0%} of append",
                ">= 10,000/s",
                i["rate"] >= 10_000,
            )
        )
        g = r["gateway_kafka"]
        lines.append(
            _row(
                "gateway, signed webhooks/s, `run gateway` (Kafka acks=all)",
                f"{g['rps']:,.0f}/s (p50 {g['p50_ms']:.1f} ms, p99 {g['p99_ms']:.1f} ms)",
                f"trivial endpoint {trivial:,.0f}/s;"
                f" Kafka produce {r['raw_kafka_produce_mps']:,.0f}/s",
                f"{g['ratio_to_trivial']:.0%}",
                ">= 2,000/s (>= 55%), p99 < 50 ms",
                g["rps"] >= 2000 and g["p99_ms"] < 50,
            )
        )
        lag = r["lag"]
        lines.append(
            _row(
                "end-to-end lag at 1,000/s after warm-up"
                f" (intake -> 360, {lag['count']:,} messages)",
                f"p50 {lag['p50_s'] * 1000:.0f} ms, p99 {lag['p99_s'] * 1000:.0f} ms",
                "",
                "",
                "p99 < 1 s",
                lag["p99_s"] < 1.0,
            )
        )
        for store in ("sqlite", "postgres"):
            g = r[f"gateway_{store}"]
            lines.append(
                _row(
                    f"`contacthub serve` webhooks/s, group commit in {store}"
                    " (each answered once committed)",
                    f"{g['rps']:,.0f}/s (p50 {g['p50_ms']:.1f} ms, p99 {g['p99_ms']:.1f} ms)",
                    f"trivial endpoint {trivial:,.0f}/s",
                    f"{g['ratio_to_trivial']:.0%}",
                    ">= 2,000/s, p99 < 50 ms",
                    g["rps"] >= 2000 and g["p99_ms"] < 50,
                )
            )
    else:
        lines.append(
            _row(
                "ingest, gateways, lag, `serve` webhooks",
                "not run (--skip-pipeline)",
                "",
                "",
                "",
                None,
            )
        )
    last = r["history"][-1]
    lines.append(
        _row(
            f"customer 360 p99 at {last['customers']:,} customers"
            f" / {last['interactions']:,} interactions",
            f"{last['c360_p99_ms']:.1f} ms (p50 {last['c360_p50_ms']:.1f} ms)",
            "",
            "",
            "< 20 ms",
            last["c360_p99_ms"] < 20,
        )
    )
    lines.append(
        _row(
            "timeline page p99 (same data)",
            f"{last['timeline_p99_ms']:.1f} ms (p50 {last['timeline_p50_ms']:.1f} ms)",
            "",
            "",
            "",
            None,
        )
    )
    lines += read_rows(r)
    lines.append(
        _row(
            f"replay, all read models ({r['replay_events']:,} events)",
            f"{r['replay_eps']:,.0f} events/s",
            f"notification-log read {r['raw_read_history_eps']:,.0f}/s",
            f"{r['replay_eps'] / r['raw_read_history_eps']:.0%}",
            ">= 50,000/s",
            r["replay_eps"] >= 50_000,
        )
    )
    first_load = r["history"][0]
    lines.append(
        _row(
            "demo load into the store (batched append with encryption), PostgreSQL",
            f"{first_load['load_interactions_per_s']:,.0f} interactions/s",
            f"batched append {r['raw_append_pg_eps']:,.0f} events/s",
            "",
            "",
            None,
        )
    )
    lines.append(
        _row(
            "raw: batched append, SQLite",
            f"{r['raw_append_sqlite_eps']:,.0f} events/s",
            "",
            "",
            "",
            None,
        )
    )
    lines.append(
        _row(
            "raw: notification-log read, PostgreSQL",
            f"{r['raw_read_pg_eps']:,.0f}/s",
            "",
            "",
            "",
            None,
        )
    )
    lines += live_rows(r)
    peaks: list[tuple[str, float]] = []
    if "ingest" in r:
        peaks += [
            ("run gateway", r["gateway_kafka"]["peak_rss_mib"]),
            (
                "run recorder",
                max(r["ingest"]["peak_rss_mib"]["recorder"], r["lag"]["peak_rss_mib"]["recorder"]),
            ),
            (
                "run projector",
                max(
                    r["ingest"]["peak_rss_mib"]["projector"], r["lag"]["peak_rss_mib"]["projector"]
                ),
            ),
            ("serve (sqlite webhooks)", r["gateway_sqlite"]["peak_rss_mib"]),
            ("serve (postgres webhooks)", r["gateway_postgres"]["peak_rss_mib"]),
        ]
    peaks += [
        ("run api (every read)", max(p["api_peak_rss_mib"] for p in r["history"])),
        ("serve (live update)", r["live_update"]["peak_rss_mib"]),
        ("serve (soak)", r["soak"]["peak_rss_mib"]),
        ("trivial app", r["trivial_peak_rss_mib"]),
    ]
    rss = ", ".join(f"{name} {value:,.0f} MiB" for name, value in peaks)
    lines += ["", f"Peak RSS: {rss}."]
    return "\n".join(lines) + "\n"


READS = {
    "c360": "customer 360 (API)",
    "timeline": "timeline page (API)",
    "search_name": "search: a name, other word order",
    "search_phone": "search: a phone number, national format",
    "search_email": "search: an email address",
    "search_word": "search: a word of a message (an order number)",
    "console_customer": "console: customer page",
    "console_queue": "console: queue page",
    "console_dashboard": "console: dashboard",
    "analytics_abc": "analytics: ABC read",
    "analytics_rfm": "analytics: RFM read",
    "report_revenue_by_class": "report: revenue by class",
    "report_channel_mix": "report: channel mix",
}
TARGET_MS = {
    "c360": 20.0,
    "timeline": 20.0,
    "search_name": 50.0,
    "search_phone": 50.0,
    "search_email": 50.0,
    "search_word": 50.0,
    "console_customer": 100.0,
    "console_queue": 100.0,
    "console_dashboard": 100.0,
    "analytics_abc": 50.0,
    "analytics_rfm": 50.0,
    "report_revenue_by_class": 50.0,
    "report_channel_mix": 50.0,
}


def read_rows(r: dict[str, Any]) -> list[str]:
    """Every read's p99 at the largest size, and how it moved from the smallest:
    'flat' means within 1.5x (or 5 ms) of the first size's."""
    history = r["history"]
    first, last = history[0], history[-1]
    trivial = f"trivial endpoint p99 {r['raw_trivial_p99_ms']:.1f} ms (32 conn.)"
    rows = []
    for name, title in READS.items():
        if name not in last.get("reads", {}):
            continue
        got = last["reads"][name]
        target = TARGET_MS[name]
        curve = " -> ".join(f"{p['reads'][name]['p99_ms']:.1f}" for p in history)
        start = first["reads"][name]["p99_ms"]
        flat = got["p99_ms"] <= max(start * 1.5, start + 5)
        errors = got["non_2xx"] + got["socket_errors"]
        rows.append(
            _row(
                f"{title} p99 at {last['interactions']:,} interactions",
                f"{got['p99_ms']:.1f} ms (p50 {got['p50_ms']:.1f} ms"
                + (f", {errors} errors" if errors else "")
                + f"); p99 by size {curve} ms, {'flat' if flat else '**not flat**'}",
                trivial,
                f"{got['p99_ms'] / target:.0%} of target",
                f"< {target:.0f} ms, flat",
                got["p99_ms"] < target and flat and errors == 0,
            )
        )
    recompute = last.get("recompute_s")
    if recompute is not None:
        rows.append(
            _row(
                f"ABC/RFM full recomputation ({last['customers']:,} customers,"
                f" {last['order_lines']:,} order lines)",
                f"{recompute:.1f} s",
                "",
                f"{recompute / 60:.0%} of target",
                "< 60 s",
                recompute < 60,
            )
        )
    return rows


def live_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    lu = r.get("live_update")
    if lu:
        rows.append(
            _row(
                f"live update: webhook -> console stream event ({lu['count']} messages)",
                f"p50 {lu['event_p50_ms']:.0f} ms, p99 {lu['event_p99_ms']:.0f} ms,"
                f" max {lu['event_max_ms']:.0f} ms",
                "",
                f"{lu['event_p99_ms'] / 1000:.0%} of target",
                "< 1 s",
                lu["event_p99_ms"] < 1000,
            )
        )
        rows.append(
            _row(
                "live update: webhook -> message on the customer's timeline",
                f"p50 {lu['visible_p50_ms']:.0f} ms, p99 {lu['visible_p99_ms']:.0f} ms,"
                f" max {lu['visible_max_ms']:.0f} ms",
                "",
                f"{lu['visible_p99_ms'] / 1000:.0%} of target",
                "< 1 s",
                lu["visible_p99_ms"] < 1000,
            )
        )
    so = r.get("soak")
    if so:
        growth = so["last_quarter_mib"] - so["first_quarter_mib"]
        rows.append(
            _row(
                f"memory soak: `serve` RSS under webhooks for {so['seconds']} s"
                f" ({so['requests']:,} requests, {so['rps']:,.0f}/s)",
                f"first quarter {so['first_quarter_mib']:,.0f} MiB, last quarter"
                f" {so['last_quarter_mib']:,.0f} MiB, peak {so['peak_rss_mib']:,.0f} MiB",
                f"trivial app {r['trivial_peak_rss_mib']:,.0f} MiB",
                f"{growth:+,.0f} MiB",
                "levels off",
                None,
            )
        )
    return rows


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ((ingest, left, right), (reads, pages, memory)) = plt.subplots(2, 3, figsize=(16, 8))
    series = r["ingest"]["series"] if "ingest" in r else []
    times = [t for t, _ in series]
    rows = [n for _, n in series]
    rates = [0.0][: len(rows)] + [
        (rows[k] - rows[k - 1]) / max(times[k] - times[k - 1], 1e-9) for k in range(1, len(rows))
    ]
    ingest.plot(times, rates, label="interactions/s into the 360")
    ingest.axhline(10_000, color="red", linestyle=":", label="target")
    ingest.set_xlabel("seconds")
    ingest.set_title("Ingest throughput over the run")
    ingest.legend()
    sizes = [p["interactions"] for p in r["history"]]
    left.plot(sizes, [p["c360_p99_ms"] for p in r["history"]], "o-", label="360 p99")
    left.plot(sizes, [p["c360_p50_ms"] for p in r["history"]], "o--", label="360 p50")
    left.plot(sizes, [p["timeline_p99_ms"] for p in r["history"]], "s-", label="timeline p99")
    left.axhline(20, color="red", linestyle=":", label="target p99")
    left.set_xscale("log")
    left.set_xlabel("interactions stored")
    left.set_ylabel("ms")
    left.set_title("Agent API latency as history grows")
    left.legend()
    names = ["trivial", "gateway\nKafka", "serve\nsqlite", "serve\npostgres"]
    values = [
        r["raw_trivial_rps"],
        *(
            r[key]["rps"] if key in r else 0.0
            for key in ("gateway_kafka", "gateway_sqlite", "gateway_postgres")
        ),
    ]
    right.bar(names, values, color=["grey", "tab:green", "tab:blue", "tab:blue"])
    right.axhline(2000, color="red", linestyle=":", label="target")
    right.set_ylabel("requests/s (one worker)")
    right.set_title("Webhook throughput vs the trivial endpoint")
    right.legend()
    for axis, names, target, title in (
        (reads, [n for n in READS if n.startswith("search")], 50, "Search p99 as history grows"),
        (
            pages,
            [n for n in READS if n.startswith(("console", "analytics", "report"))],
            None,
            "Console and analytics p99 as history grows",
        ),
    ):
        for name in names:
            if name in r["history"][-1].get("reads", {}):
                axis.plot(
                    sizes, [p["reads"][name]["p99_ms"] for p in r["history"]], "o-", label=name
                )
        if target:
            axis.axhline(target, color="red", linestyle=":", label="target p99")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("interactions stored")
        axis.set_ylabel("ms")
        axis.set_title(title)
        axis.legend(fontsize="small")
    soak = r.get("soak", {}).get("series", [])
    memory.plot([t for t, _ in soak], [m for _, m in soak], label="contacthub serve")
    memory.set_xlabel("seconds under webhooks")
    memory.set_ylabel("RSS, MiB")
    memory.set_ylim(bottom=0)
    memory.set_title("Memory over the soak")
    memory.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":  # re-render a result: python bench/report.py results/<stamp>.json
    import json
    import sys

    result = json.loads(Path(sys.argv[1]).read_text())
    print(markdown(result), end="")
    if len(sys.argv) > 2:  # and the plot: ... results/<stamp>.json results/<stamp>.png
        plot(result, Path(sys.argv[2]))
