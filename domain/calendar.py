"""Business hours: a calendar of working days and hours, with public holidays.

SLA clocks count only business time. Days are walked in the calendar's own
time zone, so daylight-saving changes and holidays fall where people see them.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Walking further than this means the calendar has no working time at all.
MAX_DAYS = 3 * 366


class CalendarError(ValueError):
    """The calendar's definition is unusable; the message says why."""


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Europe/Berlin"
    workdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    opens: time = time(8, 0)
    closes: time = time(18, 0)
    holiday_region: str = "DE"  # "DE", "DE-BY", ... or "" for none
    holidays: Container[date] = field(default_factory=frozenset, compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        days = ",".join(WEEKDAYS[d] for d in sorted(self.workdays))
        return (
            f"{self.timezone}|{days}|{self.opens:%H:%M}-{self.closes:%H:%M}|{self.holiday_region}"
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of one local day (aware, in UTC), or None if closed."""
        if day.weekday() not in self.workdays or day in self.holidays:
            return None
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(day, self.opens, zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, zone).astimezone(UTC)
        return start, end

    def _windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = instant.astimezone(ZoneInfo(self.timezone)).date()
        for offset in range(MAX_DAYS):
            window = self.window(day + timedelta(days=offset))
            if window is not None and window[1] > instant:
                yield max(window[0], instant), window[1]
        raise CalendarError(f"no working time within {MAX_DAYS} days of {instant.isoformat()}")

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when `amount` of business time has passed after `start`."""
        if amount <= timedelta(0):
            return start
        left = amount
        for begin, end in self._windows_from(start):
            if left <= end - begin:
                return begin + left
            left -= end - begin
        raise AssertionError("unreachable")  # _windows_from raises when exhausted

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time within [start, end)."""
        total = timedelta(0)
        if end <= start:
            return total
        for begin, finish in self._windows_from(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total


def parse_hours(text: str) -> tuple[time, time]:
    """`08:00-18:00` -> (08:00, 18:00)."""
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise CalendarError(f"business hours must look like 08:00-18:00, not {text!r}") from None
    if closes <= opens:
        raise CalendarError(f"business hours close before they open: {text!r}")
    return opens, closes


def parse_workdays(text: str) -> frozenset[int]:
    """`mon,tue,wed` or `mon-fri` -> weekday numbers (Monday = 0)."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise CalendarError(f"unknown weekday in {text!r}; use mon..sun")
        a = WEEKDAYS.index(first)
        b = WEEKDAYS.index(last) if last else a
        days.update(range(a, b + 1))
    if not days:
        raise CalendarError("the calendar has no working days")
    return frozenset(days)


def business_calendar(
    *,
    timezone: str = "Europe/Berlin",
    workdays: str = "mon-fri",
    hours: str = "08:00-18:00",
    holiday_region: str = "DE",
) -> BusinessCalendar:
    """A calendar whose public holidays come from the `holidays` package
    (`DE` nationwide, `DE-BY` with Bavaria's, `` for none)."""
    try:
        ZoneInfo(timezone)
    except Exception:
        raise CalendarError(f"unknown time zone {timezone!r}") from None
    opens, closes = parse_hours(hours)
    region = holiday_region.strip().upper()
    public: Container[date] = frozenset()
    if region:
        country, _, subdivision = region.partition("-")
        try:
            public = holidays.country_holidays(country, subdiv=subdivision or None)
        except NotImplementedError:
            raise CalendarError(f"no public holidays known for {region!r}") from None
    return BusinessCalendar(
        timezone=timezone,
        workdays=parse_workdays(workdays),
        opens=opens,
        closes=closes,
        holiday_region=region,
        holidays=public,
    )
