"""Complaint and SLA configuration from the settings, checked once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from domain.calendar import business_calendar
from domain.complaint_intake import DEFAULT_RULES, KeywordRule
from domain.complaints import PRIORITY_RANK
from domain.sla import DEFAULT_TARGETS, TARGETS, SlaPolicy
from services.infra.auth import InvalidName, check_name
from services.infra.settings import Settings


class ConfigurationError(ValueError):
    """A complaint or SLA setting is unusable; the message names it."""


@dataclass(frozen=True)
class ComplaintConfig:
    rules: tuple[KeywordRule, ...]
    policy: SlaPolicy
    default_queue: str
    escalation_queue: str
    reopen_window: timedelta
    queue_teams: Mapping[str, str] = field(default_factory=dict)  # queue -> owning team


def _rules(settings: Settings) -> tuple[KeywordRule, ...]:
    if settings.complaint_rules is None:
        return DEFAULT_RULES
    rules = []
    for rule in settings.complaint_rules:
        if rule.priority not in PRIORITY_RANK:
            raise ConfigurationError(
                f"CONTACTHUB_COMPLAINT_RULES: priority {rule.priority!r} is not one of "
                f"{', '.join(PRIORITY_RANK)}"
            )
        rules.append(
            KeywordRule(
                queue=rule.queue,
                keywords=tuple(k.strip() for k in rule.keywords if k.strip()),
                priority=rule.priority,  # type: ignore[arg-type]
                category=rule.category,
            )
        )
    return tuple(rules)


def sla_policy(settings: Settings) -> SlaPolicy:
    targets = settings.sla_targets or DEFAULT_TARGETS
    if "normal" not in targets:
        raise ConfigurationError("CONTACTHUB_SLA_TARGETS needs targets for priority `normal`")
    for priority, hours in targets.items():
        if priority not in PRIORITY_RANK:
            raise ConfigurationError(f"CONTACTHUB_SLA_TARGETS: unknown priority {priority!r}")
        missing = [t for t in TARGETS if t not in hours or hours[t] <= 0]
        if missing:
            raise ConfigurationError(
                f"CONTACTHUB_SLA_TARGETS: {priority} needs positive hours for {', '.join(missing)}"
            )
    calendar = business_calendar(
        timezone=settings.sla_timezone,
        workdays=settings.sla_workdays,
        hours=settings.sla_hours,
        holiday_region=settings.sla_holidays,
    )
    return SlaPolicy(targets=targets, warning_ratio=settings.sla_warning_ratio, calendar=calendar)


def _queue_teams(settings: Settings) -> dict[str, str]:
    teams = dict(settings.queue_teams or {})
    for queue, team in teams.items():
        try:
            check_name(team, "team name")
        except InvalidName as exc:
            raise ConfigurationError(f"CONTACTHUB_QUEUE_TEAMS: queue {queue}: {exc}") from None
    return teams


def complaint_config(settings: Settings) -> ComplaintConfig:
    return ComplaintConfig(
        rules=_rules(settings),
        policy=sla_policy(settings),
        default_queue=settings.complaint_default_queue,
        escalation_queue=settings.complaint_escalation_queue,
        reopen_window=timedelta(days=settings.complaint_reopen_days),
        queue_teams=_queue_teams(settings),
    )
