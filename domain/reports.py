"""Reports as tables: complaint rate by product, channel mix, revenue by class.

Pure: the callers pass the read models' rows in; each report is a `Table`
(title, columns, rows) that the API renders as JSON, CSV or an SVG chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CHANNELS = ("sms", "whatsapp", "email", "voice", "letter")
Cell = str | int | float


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    label: str  # the column the chart's bars are named by
    series: tuple[str, ...]  # the numeric columns the chart stacks
    notes: dict[str, str] = field(default_factory=dict)


def complaint_rates(
    cases: Iterable[Mapping[str, Any]], ordered: Iterable[Mapping[str, Any]]
) -> Table:
    """Products by complaint rate (cases naming the product / orders containing
    it), the weakest first; a case names a product by its sku or its name (any
    case). The most frequent complaint category is the top reason."""
    products = {str(r["sku"]): (str(r["name"]), int(r["orders"])) for r in ordered}
    by_name = {name.casefold(): sku for sku, (name, _) in products.items() if name}
    by_sku = {sku.casefold(): sku for sku in products}
    counted: dict[str, dict[str, int]] = {}
    for row in cases:
        named = str(row["product"]).strip().casefold()
        sku = by_sku.get(named) or by_name.get(named)
        if sku is None:
            continue  # a product the shop never sold: no rate to give
        reasons = counted.setdefault(sku, {})
        reason = str(row["category"]) or "uncategorised"
        reasons[reason] = reasons.get(reason, 0) + int(row["cases"])
    rows: list[tuple[Cell, ...]] = []
    for sku, reasons in counted.items():
        name, orders = products[sku]
        complaints = sum(reasons.values())
        top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        rows.append((sku, name, orders, complaints, round(complaints / orders, 6), top))
    rows.sort(key=lambda r: (-float(r[4]), -int(r[3]), str(r[0])))
    return Table(
        "Complaint rate by product (weakest first)",
        ("sku", "name", "orders", "complaints", "rate", "top_reason"),
        rows,
        label="sku",
        series=("rate",),
        notes={"rate": "complaint cases naming the product / orders containing it"},
    )


def channel_mix(rows: Iterable[Mapping[str, Any]]) -> Table:
    """Interactions per month and channel, both directions."""
    months: dict[str, dict[str, int]] = {}
    for row in rows:
        month = months.setdefault(str(row["month"]), dict.fromkeys(CHANNELS, 0))
        channel = str(row["channel"])
        month[channel] = month.get(channel, 0) + int(row["interactions"])
    return Table(
        "Channel mix by month",
        ("month", *CHANNELS),
        [(m, *(counts.get(c, 0) for c in CHANNELS)) for m, counts in sorted(months.items())],
        label="month",
        series=CHANNELS,
    )


def revenue_by_class(monthly: Sequence[tuple[str, Mapping[str, int]]]) -> Table:
    """Revenue per month of the customers in each ABC class (currency units)."""
    return Table(
        "Revenue by ABC class per month",
        ("month", "A", "B", "C"),
        [(m, *(round(by.get(k, 0) / 100, 2) for k in "ABC")) for m, by in monthly],
        label="month",
        series=("A", "B", "C"),
    )
