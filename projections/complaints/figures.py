"""Supervisor figures from the case rows: pure computation, no I/O.

Definitions (documented in the API too):
- first response time: first agent reply - opening (wall-clock seconds);
  attributed to the agent who replied;
- resolution time: latest resolution - opening, for resolved and closed
  cases; attributed to the agent who resolved;
- SLA compliance: share of cases with no breach (first response or
  resolution) under the current policy, in percent, over all cases;
- median as `statistics.median`; p90 by nearest rank (the value at rank
  ceil(0.9 n) in ascending order).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

ACTIVE = frozenset({"new", "assigned", "waiting"})


def durations(values: Iterable[float]) -> dict[str, Any]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "median_seconds": None, "p90_seconds": None}
    return {
        "count": len(ordered),
        "median_seconds": float(statistics.median(ordered)),
        "p90_seconds": float(ordered[math.ceil(0.9 * len(ordered)) - 1]),
    }


def compliance(rows: Sequence[Mapping[str, Any]]) -> float | None:
    if not rows:
        return None
    ok = sum(1 for r in rows if not (r["fr_breached"] or r["res_breached"]))
    return round(100.0 * ok / len(rows), 2)


def _seconds(later: str | None, earlier: str) -> float | None:
    if later is None:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def _group(rows: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    active = [r for r in rows if r["state"] in ACTIVE]
    ages = [(now - datetime.fromisoformat(r["opened_at"])).total_seconds() for r in active]
    first = [s for r in rows if (s := _seconds(r["first_response_at"], r["opened_at"])) is not None]
    resolution = [
        s
        for r in rows
        if r["state"] in ("resolved", "closed")
        and (s := _seconds(r["resolved_at"], r["opened_at"])) is not None
    ]
    return {
        "cases": len(rows),
        "open": len(active),
        "oldest_open_age_seconds": max(ages, default=None),
        "median_open_age_seconds": float(statistics.median(ages)) if ages else None,
        "sla_compliance_percent": compliance(rows),
        "first_response": durations(first),
        "resolution": durations(resolution),
    }


def complaint_figures(rows: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    by_queue: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_channel: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_queue[row["queue"]].append(row)
        by_channel[row["channel"] or "none"].append(row)
    agents = sorted(
        {r["assignee"] for r in rows if r["assignee"]}
        | {r["first_response_by"] for r in rows if r["first_response_by"]}
        | {r["resolved_by"] for r in rows if r["resolved_by"]}
    )
    per_agent = []
    for agent in agents:
        first = [
            s
            for r in rows
            if r["first_response_by"] == agent
            and (s := _seconds(r["first_response_at"], r["opened_at"])) is not None
        ]
        resolved = [
            r for r in rows if r["resolved_by"] == agent and r["state"] in ("resolved", "closed")
        ]
        per_agent.append(
            {
                "agent": agent,
                "open_assigned": sum(
                    1 for r in rows if r["assignee"] == agent and r["state"] in ACTIVE
                ),
                "resolved": len(resolved),
                "sla_compliance_percent": compliance(resolved),
                "first_response": durations(first),
                "resolution": durations(
                    s
                    for r in resolved
                    if (s := _seconds(r["resolved_at"], r["opened_at"])) is not None
                ),
            }
        )
    return {
        "generated_at": now.isoformat(),
        "overall": _group(rows, now),
        "queues": [{"queue": q, **_group(r, now)} for q, r in sorted(by_queue.items())],
        "channels": [{"channel": c, **_group(r, now)} for c, r in sorted(by_channel.items())],
        "agents": per_agent,
    }
