"""The revenue funnel: how many customers and leads a revenue target needs (DESIGN §1.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class Period(StrEnum):
    """The span a revenue target covers."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"

    @property
    def months(self) -> int:
        return {Period.YEAR: 12, Period.QUARTER: 3, Period.MONTH: 1}[self]

    @property
    def weeks(self) -> Fraction:
        """Weeks in the period, on a 52-week year (a month is 52/12 weeks)."""
        return Fraction(52 * self.months, 12)


@dataclass(frozen=True)
class Funnel:
    """What a revenue target needs, with the inputs kept so a reader can check the divisions."""

    revenue: Fraction
    deal_size: Fraction
    rate: Fraction
    period: Period
    customers_needed: int
    leads_needed: int
    leads_per_month: int
    leads_per_week: int


def leads_needed(
    *, revenue: Fraction, deal_size: Fraction, rate: Fraction, period: Period = Period.YEAR
) -> Funnel:
    """Revenue ÷ deal size = customers; customers ÷ rate = leads; each rounded up.

    Rounding up is the method's rule: nobody wins 0.3 of a customer, and a lead target that
    falls short by a fraction falls short. Exact rational arithmetic, so 100 ÷ 4% is 2,500
    and never 2,500.0000001.
    """
    if revenue <= 0:
        raise ValueError("revenue must be above zero")
    if deal_size <= 0:
        raise ValueError("deal size must be above zero")
    if not 0 < rate <= 1:
        raise ValueError("rate must be above 0% and at most 100%")
    customers = math.ceil(revenue / deal_size)
    leads = math.ceil(customers / rate)
    return Funnel(
        revenue=revenue,
        deal_size=deal_size,
        rate=rate,
        period=period,
        customers_needed=customers,
        leads_needed=leads,
        leads_per_month=math.ceil(Fraction(leads, period.months)),
        leads_per_week=math.ceil(leads / period.weeks),
    )
