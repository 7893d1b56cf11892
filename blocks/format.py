"""How values read in Slack: amounts, rates, times in each reader's zone, text shown literally."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

FIELD_MAX = 200  # a lead's name or company as shown; the store allows 255


def escape(text: str) -> str:
    """Text people typed or a CRM sent, shown literally: no mentions, links or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(text: str, limit: int = FIELD_MAX) -> str:
    return escape(clip(text, limit))


def format_amount(value: Fraction) -> str:
    """$1,234 or $1,234.50 — whole amounts without cents."""
    if value.denominator == 1:
        return f"${value.numerator:,}"
    return f"${float(value):,.2f}"


def format_rate(value: Fraction) -> str:
    """0.04 → 4%, 0.032 → 3.2%, 1/3 → 33.333%."""
    percent = value * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    return f"{float(percent):.6g}%"


def slack_date(moment: datetime) -> str:
    """A time each reader sees in their own zone; the fallback is UTC."""
    utc = moment.astimezone(UTC)
    fallback = utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
