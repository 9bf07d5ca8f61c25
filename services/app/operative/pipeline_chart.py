"""The pipeline report as an SVG bar chart: the value standing in each stage,
with the count and the conversion to the next stage under each bar.

Written out by hand: a few rectangles and labels need no plotting library,
and the chart renders in any browser or `<img>`, without scripts.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from domain.opportunities import PipelineReport

WIDTH = 760
HEIGHT = 360
TOP = 50
BOTTOM = 90
LEFT = 30
BAR_GAP = 18
COLOURS = {"won": "#2e7d32", "lost": "#c62828"}
OPEN_COLOUR = "#1565c0"


def pipeline_svg(report: PipelineReport, *, title: str = "Sales pipeline") -> str:
    stages = report.stages
    values = [sum(f.value_minor.values()) for f in stages]
    top = max(values, default=0) or 1
    slot = (WIDTH - 2 * LEFT) / max(len(stages), 1)
    plot = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="28" font-family="sans-serif" font-size="18">{escape(title)}</text>',
    ]
    for index, (figures, value) in enumerate(zip(stages, values, strict=True)):
        x = LEFT + index * slot + BAR_GAP / 2
        width = slot - BAR_GAP
        height = plot * value / top
        y = TOP + plot - height
        colour = COLOURS.get(figures.stage, OPEN_COLOUR)
        amounts = ", ".join(
            f"{code} {minor / 100:,.2f}" for code, minor in sorted(figures.value_minor.items())
        )
        middle = x + width / 2
        parts += [
            f'<rect class="stage" data-stage="{escape(figures.stage)}" x="{x:.1f}" y="{y:.1f}"'
            f' width="{width:.1f}" height="{height:.1f}" fill="{colour}">'
            f"<title>{escape(figures.stage)}: {escape(amounts or '0')}</title></rect>",
            _label(middle, TOP + plot + 18, figures.stage, 13),
            _label(
                middle,
                TOP + plot + 36,
                f"{figures.count} open" if figures.stage not in COLOURS else f"{figures.count}",
                11,
            ),
        ]
        if figures.conversion_rate is not None:
            parts.append(_label(middle, TOP + plot + 52, f"→ {figures.conversion_rate:.0%}", 11))
        if amounts:
            parts.append(_label(middle, y - 6, amounts, 10))
    parts.append("</svg>")
    return "\n".join(parts)


def _label(x: float, y: float, text: str, size: int) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-family="sans-serif"'
        f' font-size="{size}">{escape(text)}</text>'
    )
