"""How numbers read in Slack: amounts with thousands separators, rates as percentages."""

from __future__ import annotations

from fractions import Fraction


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
