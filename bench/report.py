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
            f"trivial endpoint {trivial:,.0f}/s; Kafka produce {r['raw_kafka_produce_mps']:,.0f}/s",
            f"{g['ratio_to_trivial']:.0%}",
            ">= 2,000/s (>= 55%), p99 < 50 ms",
            g["rps"] >= 2000 and g["p99_ms"] < 50,
        )
    )
    lag = r["lag"]
    lines.append(
        _row(
            f"end-to-end lag at 1,000/s after warm-up (intake -> 360, {lag['count']:,} messages)",
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
    for p in r["history"]:
        lines.append(
            _row(
                f"  360 p99 at {p['interactions']:,} interactions",
                f"{p['c360_p99_ms']:.1f} ms",
                "",
                "",
                "flat",
                None,
            )
        )
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
    rss = ", ".join(
        f"{name} {value:,.0f} MiB"
        for name, value in (
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
            ("run api (360 reads)", max(p["api_peak_rss_mib"] for p in r["history"])),
            ("serve (sqlite webhooks)", r["gateway_sqlite"]["peak_rss_mib"]),
            ("serve (postgres webhooks)", r["gateway_postgres"]["peak_rss_mib"]),
            ("trivial app", r["trivial_peak_rss_mib"]),
        )
    )
    lines += ["", f"Peak RSS: {rss}."]
    return "\n".join(lines) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ingest, left, right) = plt.subplots(1, 3, figsize=(16, 4))
    series = r["ingest"]["series"]
    times = [t for t, _ in series]
    rows = [n for _, n in series]
    rates = [0.0] + [
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
        r["gateway_kafka"]["rps"],
        r["gateway_sqlite"]["rps"],
        r["gateway_postgres"]["rps"],
    ]
    right.bar(names, values, color=["grey", "tab:green", "tab:blue", "tab:blue"])
    right.axhline(2000, color="red", linestyle=":", label="target")
    right.set_ylabel("requests/s (one worker)")
    right.set_title("Webhook throughput vs the trivial endpoint")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":  # re-render a result: python bench/report.py results/<stamp>.json
    import json
    import sys

    result = json.loads(Path(sys.argv[1]).read_text())
    print(markdown(result), end="")
