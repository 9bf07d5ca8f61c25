"""CSAT and NPS over time, by queue, agent, product or channel: the domain's
figures over the satisfaction read model's answers."""

from __future__ import annotations

from dataclasses import dataclass

from domain import satisfaction as domain
from domain.reports import Table
from domain.satisfaction import Csat, Group, Grouping, Nps, Period
from events import SurveyKind
from projections.satisfaction import SatisfactionView


@dataclass(frozen=True)
class SatisfactionReport:
    by: Grouping
    period: Period
    groups: list[Group]
    csat: Csat
    nps: Nps


class SatisfactionAnalytics:
    def __init__(self, view: SatisfactionView) -> None:
        self.view = view

    def report(self, by: Grouping, period: Period) -> SatisfactionReport:
        answers = self.view.answers()
        csat, nps = domain.totals(answers)
        return SatisfactionReport(by, period, domain.group_answers(answers, by, period), csat, nps)

    def overall(self, by: Grouping) -> tuple[Csat, Nps, list[tuple[str, Csat, Nps]]]:
        """All answers' CSAT and NPS, and per group over all periods (the dashboard)."""
        answers = self.view.answers()
        csat, nps = domain.totals(answers)
        return csat, nps, domain.totals_by(answers, by)

    def chart(self, by: Grouping, period: Period, kind: SurveyKind) -> Table:
        return domain.chart_table(self.report(by, period).groups, kind)
