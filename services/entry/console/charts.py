"""Charts as inline SVG, drawn on the server: no chart library, no script.

Each chart is a horizontal bar chart with its numbers written next to the
bars, a <title> and an aria-label, so it reads without colour and without sight.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 140
BAR_WIDTH = 300
VALUE_WIDTH = 60


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    maximum: float | None = None,
    unit: str = "",
    css_class: str = "bar",
) -> Markup:
    top = max([maximum or 0.0, *(value for _, value in bars)]) or 1.0
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>"
    ]
    for row, (label, value) in enumerate(bars):
        y = GAP + row * (BAR_HEIGHT + GAP)
        length = max(2.0, BAR_WIDTH * value / top) if value else 0.0
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 15}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="{escape(css_class)}" x="{LABEL_WIDTH}" y="{y}" rx="3" '
            f'width="{length:.1f}" height="{BAR_HEIGHT}"><title>{escape(label)}: '
            f"{escape(shown)}</title></rect>"
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">'
            f"{escape(shown)}</text>"
        )
    if not bars:
        parts.append(f'<text class="chart-label" x="{LABEL_WIDTH}" y="{GAP + 15}">-</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
