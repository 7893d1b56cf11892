"""Pace against a goal: period boundaries in the workspace time zone, the funnel's actual deal
size and rate (DESIGN §2 "Funnel actuals"), and what the rest of the period still needs.

Pure: `now` and the time zone are arguments; nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction

from domain.funnel import Period

_TICK = timedelta(microseconds=1)
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Span:
    """A stretch of time [start, end): both ends aware, in the zone the span was cut in."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a span needs aware datetimes")
        if not _utc(self.start) < _utc(self.end):
            raise ValueError("a span must end after it starts")

    def contains(self, moment: datetime) -> bool:
        return _utc(self.start) <= _utc(moment) < _utc(self.end)


def _utc(moment: datetime) -> datetime:
    # Aware datetimes that share a tzinfo subtract by wall clock, ignoring DST; UTC does not.
    return moment.astimezone(UTC)


def _month_start(year: int, month: int, tz: tzinfo) -> datetime:
    """Midnight on the first of a month; `month` may run past 12 (13 is next January)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=tz)


def current_period(period: Period, *, now: datetime, tz: tzinfo) -> Span:
    """The calendar year, quarter or month `now` falls in, as the workspace's clocks read it.

    Boundaries are local midnights on the first of a month, so a lead created at 23:30 on
    31 December in New York belongs to that year although it is already January in UTC.
    """
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    local = now.astimezone(tz)
    if period is Period.YEAR:
        first = 1
    elif period is Period.QUARTER:
        first = (local.month - 1) // 3 * 3 + 1
    else:
        first = local.month
    start = _month_start(local.year, first, tz)
    return Span(start=start, end=_month_start(local.year, first + period.months, tz))


def trailing_year(*, now: datetime) -> Span:
    """The twelve months up to `now`: [the same moment a year earlier, now).

    On 29 February the year before has no such day; the window then starts on 28 February.
    """
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    moment = _utc(now)
    try:
        start = moment.replace(year=moment.year - 1)
    except ValueError:
        start = moment.replace(year=moment.year - 1, day=28)
    return Span(start=start, end=moment)


def elapsed_fraction(span: Span, *, now: datetime) -> Fraction:
    """How much of the span has passed: 0 at its start, 1 at (or after) its end."""
    total = (_utc(span.end) - _utc(span.start)) // _TICK
    passed = (_utc(now) - _utc(span.start)) // _TICK
    return min(max(Fraction(passed, total), Fraction(0)), Fraction(1))


def weeks_left(span: Span, *, now: datetime) -> Fraction:
    """Weeks from `now` to the end of the span (0 once it has ended)."""
    left = max(_utc(span.end) - _utc(now), timedelta(0))
    return Fraction(left // _TICK, _WEEK // _TICK)


def months_left(span: Span, *, now: datetime, tz: tzinfo) -> Fraction:
    """Calendar months from `now` to the end of a span that ends on a month boundary.

    The current month counts as the share of it still ahead (a 30-day month with 15 days to go
    is 1/2), each later month as one.
    """
    moment = _utc(now)
    if moment >= _utc(span.end):
        return Fraction(0)
    local = moment.astimezone(tz)
    this_month = _month_start(local.year, local.month, tz)
    next_month = _month_start(local.year, local.month + 1, tz)
    share = Fraction(
        (_utc(next_month) - moment) // _TICK, (_utc(next_month) - _utc(this_month)) // _TICK
    )
    end = span.end.astimezone(tz)
    whole = (end.year - next_month.year) * 12 + end.month - next_month.month
    return share + max(whole, 0)


@dataclass(frozen=True)
class FunnelActuals:
    """The average deal size and lead-to-customer rate the funnel uses, and where they came from.

    `deal_size_is_actual` / `rate_is_actual` are False where the configured value stood in,
    so the reply can say so.
    """

    deal_size: Fraction
    rate: Fraction
    deal_size_is_actual: bool
    rate_is_actual: bool
    won: int
    won_revenue: Fraction
    leads: int
    rate_capped: bool = False  # more won than leads created in the window: counted as 100%
    too_few_wins: bool = False  # some wins, but fewer than `min_wins`: configured values used
    min_wins: int = 0

    @property
    def is_fallback(self) -> bool:
        return not (self.deal_size_is_actual and self.rate_is_actual)


def funnel_actuals(
    *,
    won: int,
    won_revenue: Fraction,
    leads: int,
    default_deal_size: Fraction,
    default_rate: Fraction,
    min_wins: int = 0,
) -> FunnelActuals:
    """Deal size = revenue won ÷ leads won; rate = leads won ÷ leads created (same window).

    With no lead won there is no history to learn from: both configured values are used; so
    too with fewer than `min_wins` wins, which would swing the funnel with every win logged.
    With wins but no lead created in the window (every winner came in earlier) the deal size
    is real but the rate cannot be; the configured rate stands in. A window that won more
    leads than it created (older leads closing) would give a rate above 100%; it is capped.
    """
    if won < 0 or leads < 0 or won_revenue < 0:
        raise ValueError("counts and revenue cannot be negative")
    if not (default_deal_size > 0 and 0 < default_rate <= 1):
        raise ValueError("the configured deal size and rate must be above zero")
    if won == 0 or won_revenue == 0 or won < min_wins:
        return FunnelActuals(
            deal_size=default_deal_size,
            rate=default_rate,
            deal_size_is_actual=False,
            rate_is_actual=False,
            won=won,
            won_revenue=won_revenue,
            leads=leads,
            too_few_wins=0 < won < min_wins,
            min_wins=min_wins,
        )
    deal_size = won_revenue / won
    if leads == 0:
        return FunnelActuals(
            deal_size=deal_size,
            rate=default_rate,
            deal_size_is_actual=True,
            rate_is_actual=False,
            won=won,
            won_revenue=won_revenue,
            leads=leads,
        )
    rate = Fraction(won, leads)
    return FunnelActuals(
        deal_size=deal_size,
        rate=min(rate, Fraction(1)),
        deal_size_is_actual=True,
        rate_is_actual=True,
        won=won,
        won_revenue=won_revenue,
        leads=leads,
        rate_capped=rate > 1,
    )


@dataclass(frozen=True)
class PeriodPlan:
    """Leads the period needs against leads it has had, and the pace for what is left."""

    span: Span
    needed: int
    so_far: int
    remaining: int
    expected_by_now: int
    months_left: Fraction
    weeks_left: Fraction
    per_month: int
    per_week: int
    reps: int
    per_rep: int | None  # remaining ÷ reps; None when no one owns a lead yet
    per_rep_per_month: int | None
    tracked_from: datetime | None = None  # the period began before it: `needed` is the rest

    @property
    def on_pace(self) -> bool:
        return self.so_far >= self.expected_by_now


def plan_period(
    *,
    needed: int,
    so_far: int,
    span: Span,
    reps: int,
    now: datetime,
    tz: tzinfo,
    tracked_from: datetime | None = None,
) -> PeriodPlan:
    """Remaining = needed − so far (never below 0), spread over the months and weeks left.

    Less than a month (or a week) left counts as one: what remains is needed within it, not
    more than what remains. Expected by now = needed × elapsed share of the period, rounded
    up; on pace when so far reaches it (DESIGN §2, "Marketing pace"). Every count rounds up.
    A period that began before tracking did (`tracked_from`) needs only the share of the goal
    that falls after it, and its pace counts from then (DESIGN §2 "Periods and history").
    """
    if needed < 0 or so_far < 0 or reps < 0:
        raise ValueError("needed, so far and reps cannot be negative")
    untracked = Fraction(0)
    if tracked_from is not None and _utc(tracked_from) > _utc(span.start):
        untracked = elapsed_fraction(span, now=tracked_from)
        needed = math.ceil(needed * (1 - untracked))
    remaining = max(needed - so_far, 0)
    months = months_left(span, now=now, tz=tz)
    weeks = weeks_left(span, now=now)
    per_month = math.ceil(remaining / max(months, Fraction(1)))
    return PeriodPlan(
        span=span,
        needed=needed,
        so_far=so_far,
        remaining=remaining,
        expected_by_now=math.ceil(
            needed * (elapsed_fraction(span, now=now) - untracked) / (1 - untracked)
        ),
        months_left=months,
        weeks_left=weeks,
        per_month=per_month,
        per_week=math.ceil(remaining / max(weeks, Fraction(1))),
        reps=reps,
        per_rep=math.ceil(Fraction(remaining, reps)) if reps else None,
        per_rep_per_month=math.ceil(Fraction(per_month, reps)) if reps else None,
        tracked_from=tracked_from if untracked else None,
    )


# ---------------------------------------------------------------- reporting periods


class Unit(StrEnum):
    """What a report covers: a calendar week (Monday–Sunday) or month, in the workspace's zone."""

    WEEK = "week"
    MONTH = "month"


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def reporting_span(unit: Unit, *, now: datetime, tz: tzinfo, back: int = 0) -> Span:
    """The week or month `now` falls in, or `back` of them before it (1: last week)."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    if back < 0:
        raise ValueError("a report looks back, never ahead")
    local = now.astimezone(tz)
    if unit is Unit.WEEK:
        monday = local.date() - timedelta(days=local.weekday() + 7 * back)
        return Span(
            start=_local_midnight(monday, tz),
            end=_local_midnight(monday + timedelta(days=7), tz),
        )
    first = local.month - back
    return Span(
        start=_month_start(local.year, first, tz), end=_month_start(local.year, first + 1, tz)
    )


@dataclass(frozen=True)
class ReportPeriod:
    """A period a report covers, and how much of it the bot saw.

    `tracked_from` is when tracking started (the first lead, or the date an admin set); a
    period that began before it is partial: its figures cover only the part after it, and a
    comparison with it must say so (DESIGN §2 "Periods and history").
    """

    unit: Unit
    span: Span
    taken_at: datetime  # the moment the report is taken at: now, or the end of a past period
    current: bool  # the period is still running
    tracked_from: datetime | None = None

    @property
    def partial(self) -> bool:
        return self.tracked_from is not None and _utc(self.tracked_from) > _utc(self.span.start)

    @property
    def before_tracking(self) -> bool:
        """The whole period came before tracking started: nothing was seen in it."""
        return self.tracked_from is not None and _utc(self.tracked_from) >= _utc(self.span.end)

    @property
    def tracked_share(self) -> Fraction:
        """The share of the period the bot saw: 1 for a whole period, less for a partial one."""
        if not self.partial:
            return Fraction(1)
        assert self.tracked_from is not None
        return 1 - elapsed_fraction(self.span, now=self.tracked_from)

    @property
    def elapsed(self) -> Fraction:
        """The share of the period that has passed and was tracked: what is expected by now."""
        passed = elapsed_fraction(self.span, now=self.taken_at)
        return max(passed - (1 - self.tracked_share), Fraction(0))


def report_period(
    unit: Unit, *, now: datetime, tz: tzinfo, back: int = 0, tracked_from: datetime | None = None
) -> ReportPeriod:
    span = reporting_span(unit, now=now, tz=tz, back=back)
    current = back == 0
    return ReportPeriod(
        unit=unit,
        span=span,
        taken_at=now if current else span.end,
        current=current,
        tracked_from=tracked_from,
    )


def tracking_start(day: date, tz: tzinfo) -> datetime:
    """Tracking starts at midnight, in the workspace's zone, of the day it started."""
    return _local_midnight(day, tz)
