"""The digest's one chart as plain data: sales-ready leads delivered per day this month against
marketing's pace line (DESIGN §2 "Marketing pace"; the chart is drawn by
blocks/pace_chart_image.py).

Pure: the counts come in already made (one per local day, in the workspace's time zone), the
last full day is passed in, and nothing here reads a clock, a database or Slack.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction


@dataclass(frozen=True)
class PaceChart:
    """One month from its first day through `days[-1]`, a value per day in every list.

    `expected` is the pace line: what the commitment asks for by the end of each day. Both it
    and `committed` are None when no commitment is set, so that no line is drawn at zero.
    """

    title: str
    days: list[date]
    delivered: list[int]
    cumulative: list[int]
    expected: list[Fraction] | None
    committed: int | None
    month_days: int

    @property
    def delivered_to_date(self) -> int:
        return self.cumulative[-1]

    @property
    def expected_to_date(self) -> Fraction | None:
        return None if self.expected is None else self.expected[-1]

    @property
    def on_pace(self) -> bool | None:
        """Delivered ≥ expected by the last day drawn; None without a commitment."""
        expected = self.expected_to_date
        return None if expected is None else self.delivered_to_date >= expected


def pace_chart(
    *,
    delivered_by_day: Mapping[date, int],
    month_start: date,
    month_days: int,
    committed: int,
    through: date,
) -> PaceChart:
    """Leads delivered each day from `month_start` through `through`, their running total, and
    the pace line: by the end of day d, committed × (days elapsed through d) ÷ month_days.

    Days missing from `delivered_by_day` delivered nothing. Counts for days after `through`
    (the digest's own day, not over yet) are left out; a count before the month is an error
    in the caller's query. `committed` = 0 means no commitment is set.
    """
    if month_start.day != 1:
        raise ValueError(f"the month must start on its first day, not {month_start.isoformat()}")
    calendar_days = calendar.monthrange(month_start.year, month_start.month)[1]
    if month_days != calendar_days:
        raise ValueError(
            f"{month_start:%B %Y} has {calendar_days} days, not {month_days}",
        )
    month_end = month_start + timedelta(days=month_days - 1)
    if through < month_start:
        raise ValueError(
            f"the chart must run through a day of the month: {through.isoformat()} "
            f"is before it starts on {month_start.isoformat()}"
        )
    if through > month_end:
        raise ValueError(
            f"the chart must run through a day of the month: {through.isoformat()} "
            f"is after it ends on {month_end.isoformat()}"
        )
    if committed < 0:
        raise ValueError(f"the commitment cannot be negative (got {committed})")
    for day, count in delivered_by_day.items():
        if count < 0:
            raise ValueError(f"leads delivered cannot be negative ({count} on {day.isoformat()})")
        if day < month_start:
            raise ValueError(
                f"a count for {day.isoformat()} falls before the month starts on "
                f"{month_start.isoformat()}"
            )

    elapsed = (through - month_start).days + 1
    days = [month_start + timedelta(days=offset) for offset in range(elapsed)]
    delivered = [delivered_by_day.get(day, 0) for day in days]
    cumulative: list[int] = []
    total = 0
    for count in delivered:
        total += count
        cumulative.append(total)
    expected = (
        [Fraction(committed * day_number, month_days) for day_number in range(1, elapsed + 1)]
        if committed
        else None
    )
    return PaceChart(
        title=f"Sales-ready leads delivered, {month_start:%B %Y} (through {_short(through)})",
        days=days,
        delivered=delivered,
        cumulative=cumulative,
        expected=expected,
        committed=committed or None,
        month_days=month_days,
    )


def _short(day: date) -> str:
    """'Nov 3': strftime's unpadded day (%-d) is not portable."""
    return f"{day:%b} {day.day}"
