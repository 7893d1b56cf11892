"""The funnel rule at its edges: exact answers, rounding up, tiny rates, huge targets."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.funnel import Period, leads_needed


def test_the_method_example_is_exact() -> None:
    funnel = leads_needed(
        revenue=Fraction(100_000), deal_size=Fraction(1_000), rate=Fraction(4, 100)
    )

    assert (funnel.customers_needed, funnel.leads_needed) == (100, 2_500)
    assert (funnel.leads_per_month, funnel.leads_per_week) == (209, 49)


def test_a_part_customer_rounds_up_to_a_whole_one() -> None:
    funnel = leads_needed(revenue=Fraction(100_001), deal_size=Fraction(1_000), rate=Fraction(1, 2))

    assert funnel.customers_needed == 101
    assert funnel.leads_needed == 202


def test_a_rate_that_does_not_divide_evenly_rounds_leads_up() -> None:
    funnel = leads_needed(revenue=Fraction(1_000), deal_size=Fraction(1_000), rate=Fraction(3, 100))

    assert funnel.leads_needed == 34  # 1 ÷ 3% = 33.3…


def test_an_exact_division_is_not_rounded_up_by_float_error() -> None:
    # 0.07 is not exact in binary floating point; 7 ÷ 7% must still be exactly 100.
    funnel = leads_needed(revenue=Fraction(7_000), deal_size=Fraction(1_000), rate=Fraction(7, 100))

    assert funnel.leads_needed == 100


def test_a_tiny_rate_gives_a_huge_but_exact_lead_count() -> None:
    funnel = leads_needed(revenue=Fraction(10**15), deal_size=Fraction(1), rate=Fraction(1, 10**8))

    assert funnel.leads_needed == 10**23


def test_a_deal_larger_than_the_target_still_needs_one_customer() -> None:
    funnel = leads_needed(revenue=Fraction(500), deal_size=Fraction(1_000), rate=Fraction(1))

    assert (funnel.customers_needed, funnel.leads_needed) == (1, 1)
    assert (funnel.leads_per_month, funnel.leads_per_week) == (1, 1)


def test_a_monthly_target_is_one_month_of_four_and_a_third_weeks() -> None:
    funnel = leads_needed(
        revenue=Fraction(10_000), deal_size=Fraction(100), rate=Fraction(1, 10), period=Period.MONTH
    )

    assert funnel.leads_needed == 1_000
    assert funnel.leads_per_month == 1_000
    assert funnel.leads_per_week == 231  # 1,000 ÷ (52/12) = 230.8


@pytest.mark.parametrize(
    ("revenue", "deal", "rate"),
    [(0, 1, Fraction(1, 2)), (1, 0, Fraction(1, 2)), (1, 1, Fraction(0)), (1, 1, Fraction(2))],
)
def test_impossible_inputs_are_refused(revenue: int, deal: int, rate: Fraction) -> None:
    with pytest.raises(ValueError):
        leads_needed(revenue=Fraction(revenue), deal_size=Fraction(deal), rate=rate)


@given(
    revenue=st.fractions(min_value=Fraction(1, 100), max_value=10**15),
    deal=st.fractions(min_value=Fraction(1, 100), max_value=10**9),
    rate=st.fractions(min_value=Fraction(1, 10**6), max_value=1),
    period=st.sampled_from(list(Period)),
)
def test_the_counts_are_the_smallest_whole_numbers_that_reach_the_target(
    revenue: Fraction, deal: Fraction, rate: Fraction, period: Period
) -> None:
    funnel = leads_needed(revenue=revenue, deal_size=deal, rate=rate, period=period)

    assert funnel.customers_needed * deal >= revenue > (funnel.customers_needed - 1) * deal
    assert funnel.leads_needed * rate >= funnel.customers_needed > (funnel.leads_needed - 1) * rate
    assert funnel.leads_per_month * period.months >= funnel.leads_needed
    assert funnel.leads_per_week * period.weeks >= funnel.leads_needed
