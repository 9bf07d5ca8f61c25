"""The supervisor dashboard: queue sizes, SLA compliance, channel mix, and
complaint reasons by product (the analytics report, its SVG as the API draws it),
and customer satisfaction (CSAT per queue, NPS), as inline SVG."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from projections.complaints.figures import complaint_figures
from services.entry.api.reports.render import as_svg
from services.entry.console.auth import ConsoleSupervisor
from services.entry.console.charts import bar_chart
from services.entry.console.language import translator
from services.entry.console.rendering import language_of, render
from services.entry.console.routes.queues import queues_by_name
from services.infra.auth import Principal
from services.wiring.hub import Hub, now_of

router = APIRouter(include_in_schema=False)


def dashboard_data(hub: Hub, me: Principal, t: dict[str, str]) -> dict[str, Any]:
    # A team's supervisor sees its team's (and team-less) queues, as in the API.
    hidden = hub.complaints.access.hidden(me)
    figures = complaint_figures(hub.views.complaints.figures_rows(hidden), now_of(hub))
    queues = queues_by_name(hub, me)
    by_product = hub.reports.complaints_by_product()
    csat, nps, csat_by_queue = hub.satisfaction.overall("queue")
    return {
        "satisfaction": {
            "csat": csat,
            "nps": nps,
            "chart": bar_chart(
                t["csat_by_queue"],
                [
                    (queue, c.score)
                    for queue, c, _ in csat_by_queue
                    if c.score is not None and queue not in hidden
                ],
                maximum=100,
                unit=" %",
                css_class="bar bar-csat",
            ),
        },
        "figures": figures,
        # as_svg escapes every text it writes (it is served as image/svg+xml too).
        "by_product": (by_product, Markup(as_svg(by_product))),
        "charts": [
            (
                t["queue_sizes"],
                bar_chart(t["queue_sizes"], [(q["queue"], q["open"]) for q in queues]),
            ),
            (
                t["sla_compliance"],
                bar_chart(
                    t["sla_compliance"],
                    [
                        (q["queue"], round(q["sla_compliance_percent"] or 0, 1))
                        for q in figures["queues"]
                    ],
                    maximum=100,
                    unit=" %",
                    css_class="bar bar-sla",
                ),
            ),
            (
                t["channel_mix"],
                bar_chart(
                    t["channel_mix"],
                    [(c["channel"] or "-", c["cases"]) for c in figures["channels"]],
                    css_class="bar bar-channel",
                ),
            ),
        ],
    }


@router.get("/dashboard")
async def dashboard(request: Request, principal: ConsoleSupervisor) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    t = translator(language_of(request))
    data = await anyio.to_thread.run_sync(dashboard_data, hub, principal, t)
    return render(request, "dashboard.html.j2", data, principal=principal)
