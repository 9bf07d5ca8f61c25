"""A report table as CSV, or as an SVG stacked bar chart drawn on the server
(no script, no external fonts or styles: it renders anywhere, and parses as XML)."""

from __future__ import annotations

import csv
import io
from xml.sax.saxutils import escape, quoteattr

from domain.reports import Table

WIDTH, HEIGHT = 800, 420
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP, LEGEND = 70, 80, 40, 110
COLOURS = ("#3b6ea5", "#e07b39", "#4e9a6a", "#c04848", "#8a6bb0", "#777777")


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return out.getvalue()


def as_svg(table: Table) -> str:
    label_at = table.columns.index(table.label)
    series_at = [table.columns.index(s) for s in table.series]
    totals = [sum(float(row[i]) for i in series_at) for row in table.rows]
    top = max(totals, default=0.0) or 1.0
    plot_w = WIDTH - MARGIN_LEFT - LEGEND
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(table.rows), 1)
    bar = max(slot * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{escape(table.title)}</title>",
        f'<text x="{MARGIN_LEFT}" y="24" font-size="15">{escape(table.title)}</text>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{MARGIN_LEFT + plot_w}"'
        f' y2="{MARGIN_TOP + plot_h}" stroke="#333"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}"'
        f' y2="{MARGIN_TOP + plot_h}" stroke="#333"/>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = MARGIN_TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    for n, row in enumerate(table.rows):
        x = MARGIN_LEFT + n * slot + (slot - bar) / 2
        y = MARGIN_TOP + plot_h
        for k, i in enumerate(series_at):
            value = float(row[i])
            h = plot_h * value / top
            y -= h
            name = f"{row[label_at]} {table.columns[i]}: {row[i]}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                f' fill="{COLOURS[k % len(COLOURS)]}" data-label={quoteattr(str(row[label_at]))}'
                f' data-series={quoteattr(table.columns[i])} data-value="{value:g}">'
                f"<title>{escape(name)}</title></rect>"
            )
        lx, ly = x + bar / 2, MARGIN_TOP + plot_h + 12
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end"'
            f' transform="rotate(-45 {lx:.1f} {ly:.1f})">{escape(str(row[label_at]))}</text>'
        )
    for k, name in enumerate(table.series):
        y = MARGIN_TOP + 16 * k
        colour = COLOURS[k % len(COLOURS)]
        x = WIDTH - LEGEND + 10
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{y + 9}">{escape(name)}</text>')
    if not table.rows:
        parts.append(f'<text x="{MARGIN_LEFT + 10}" y="{MARGIN_TOP + 20}">no data yet</text>')
    parts.append("</svg>")
    return "\n".join(parts)
