"""How values read in Slack: amounts, rates, times in each reader's zone, text shown literally."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from domain.pace import ReportPeriod, Unit

FIELD_MAX = 200  # a lead's name or company as shown; the store allows 255


def escape(text: str) -> str:
    """Text people typed or a CRM sent, shown literally: no mentions, links or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(text: str, limit: int = FIELD_MAX) -> str:
    return escape(clip(text, limit))


def format_amount(value: Fraction, *, cents: bool = False) -> str:
    """$1,234 — money as a reader uses it: whole dollars, rounded half up (a goal of $1.2m a
    year is $23,077 a week, not $23,076.92). `cents`: one deal's amount as it was won
    ($1,234.50), cents shown only when it has some."""
    if cents and value.denominator != 1:
        return f"${float(value):,.2f}"
    whole = math.floor(value + Fraction(1, 2))
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"


def format_rate(value: Fraction, *, as_typed: bool = False) -> str:
    """A rate to one decimal at most: 0.04 → 4%, 0.032 → 3.2%, 0.0445205 → 4.5%, 1/3 →
    33.3%. `as_typed`: a rate someone typed, echoed with the digits they gave (4.45205%)."""
    percent = value * 100
    if as_typed:
        if percent.denominator == 1:
            return f"{percent.numerator}%"
        return f"{float(percent):.6g}%"
    tenths = math.floor(percent * 10 + Fraction(1, 2))
    whole, tenth = divmod(tenths, 10)
    return f"{whole}%" if tenth == 0 else f"{whole}.{tenth}%"


def slack_date(moment: datetime) -> str:
    """A time each reader sees in their own zone; the fallback is UTC."""
    utc = moment.astimezone(UTC)
    fallback = utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def period_dates(start: datetime, end: datetime) -> str:
    """A period as the dates it covers, in its own (the workspace's) zone: `23–29 November
    2026`, `30 November – 6 December 2026`. Never times converted to the reader's zone, which
    would put a week that starts at midnight in Berlin on the Sunday evening in New York.
    `end` is the first moment after the period."""
    first, last = start.date(), (end - timedelta(days=1)).date()
    if first.year != last.year:
        return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    if first == last:
        return f"{first.day} {first:%B %Y}"
    return f"{first.day}–{last.day} {first:%B %Y}"


def period_name(period: ReportPeriod) -> str:
    """`November 2026`, `week of 23–29 November 2026`; `(partial: tracking began 29 October)`
    after a period that began before tracking did."""
    span = period.span
    name = (
        f"week of {period_dates(span.start, span.end)}"
        if period.unit is Unit.WEEK
        else f"{span.start:%B %Y}"
    )
    if period.before_tracking:
        return f"{name} (before tracking began)"
    if period.partial:
        assert period.tracked_from is not None
        began = period.tracked_from.astimezone(span.start.tzinfo)
        return f"{name} (partial: tracking began {began.day} {began:%B})"
    return name
