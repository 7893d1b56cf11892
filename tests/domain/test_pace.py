"""Pace rules: the period a moment falls in (in the workspace's zone), the trailing year, the
funnel's actual deal size and rate with their fallbacks, and what the rest of a period needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.funnel import Period
from domain.pace import (
    Span,
    current_period,
    elapsed_fraction,
    funnel_actuals,
    months_left,
    plan_period,
    trailing_year,
    weeks_left,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period.YEAR, utc(2026, 1, 1), utc(2027, 1, 1)),
        (Period.QUARTER, utc(2026, 10, 1), utc(2027, 1, 1)),
        (Period.MONTH, utc(2026, 11, 1), utc(2026, 12, 1)),
    ],
)
def test_the_current_period_is_the_calendar_year_quarter_or_month(
    period: Period, start: datetime, end: datetime
) -> None:
    span = current_period(period, now=utc(2026, 11, 2, 9), tz=UTC)

    assert (span.start, span.end) == (start, end)


def test_new_years_eve_in_new_york_is_still_last_year_although_utc_says_january() -> None:
    now = utc(2027, 1, 1, 3, 30)  # 22:30 on 31 December in New York

    span = current_period(Period.YEAR, now=now, tz=NEW_YORK)

    assert span.start == datetime(2026, 1, 1, tzinfo=NEW_YORK)
    assert span.start.astimezone(UTC) == utc(2026, 1, 1, 5)
    assert span.end.astimezone(UTC) == utc(2027, 1, 1, 5)
    assert span.contains(now)


def test_a_month_that_changes_clocks_still_starts_and_ends_at_local_midnight() -> None:
    # Berlin leaves summer time on 25 October 2026: October is an hour longer than 31 days.
    span = current_period(Period.MONTH, now=utc(2026, 10, 20), tz=BERLIN)

    assert span.start.astimezone(UTC) == utc(2026, 9, 30, 22)
    assert span.end.astimezone(UTC) == utc(2026, 10, 31, 23)
    assert weeks_left(span, now=span.start) == Fraction(31 * 24 + 1, 7 * 24)


def test_the_first_and_last_quarter_wrap_the_year_correctly() -> None:
    first = current_period(Period.QUARTER, now=utc(2026, 3, 31, 23, 59), tz=UTC)
    last = current_period(Period.QUARTER, now=utc(2026, 12, 31, 23, 59), tz=UTC)

    assert (first.start, first.end) == (utc(2026, 1, 1), utc(2026, 4, 1))
    assert (last.start, last.end) == (utc(2026, 10, 1), utc(2027, 1, 1))


def test_the_trailing_year_ends_now_and_starts_a_year_before() -> None:
    span = trailing_year(now=utc(2026, 11, 2, 9))

    assert (span.start, span.end) == (utc(2025, 11, 2, 9), utc(2026, 11, 2, 9))


def test_a_trailing_year_from_the_29th_of_february_starts_on_the_28th() -> None:
    assert trailing_year(now=utc(2028, 2, 29, 12)).start == utc(2027, 2, 28, 12)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        current_period(Period.YEAR, now=datetime(2026, 1, 1), tz=UTC)


def test_months_left_count_the_rest_of_this_month_as_its_share() -> None:
    year = current_period(Period.YEAR, now=utc(2026, 11, 16), tz=UTC)

    assert months_left(year, now=utc(2026, 11, 16), tz=UTC) == Fraction(3, 2)  # ½ Nov + Dec
    assert months_left(year, now=utc(2026, 7, 1), tz=UTC) == 6
    assert months_left(year, now=utc(2027, 1, 1), tz=UTC) == 0


def test_elapsed_share_runs_from_zero_to_one() -> None:
    month = Span(utc(2026, 11, 1), utc(2026, 12, 1))

    assert elapsed_fraction(month, now=utc(2026, 11, 1)) == 0
    assert elapsed_fraction(month, now=utc(2026, 11, 16)) == Fraction(1, 2)
    assert elapsed_fraction(month, now=utc(2026, 12, 5)) == 1


def test_with_no_won_lead_both_configured_values_are_used() -> None:
    actuals = funnel_actuals(
        won=0,
        won_revenue=Fraction(0),
        leads=250,
        default_deal_size=Fraction(1_000),
        default_rate=Fraction(4, 100),
    )

    assert (actuals.deal_size, actuals.rate) == (Fraction(1_000), Fraction(4, 100))
    assert actuals.is_fallback
    assert not actuals.deal_size_is_actual and not actuals.rate_is_actual


def test_with_wins_the_deal_size_is_their_mean_and_the_rate_wins_over_leads() -> None:
    actuals = funnel_actuals(
        won=3,
        won_revenue=Fraction(7_500),
        leads=60,
        default_deal_size=Fraction(1_000),
        default_rate=Fraction(4, 100),
    )

    assert (actuals.deal_size, actuals.rate) == (Fraction(2_500), Fraction(1, 20))
    assert not actuals.is_fallback


def test_wins_without_new_leads_keep_the_real_deal_size_and_the_configured_rate() -> None:
    actuals = funnel_actuals(
        won=2,
        won_revenue=Fraction(3_000),
        leads=0,
        default_deal_size=Fraction(1_000),
        default_rate=Fraction(4, 100),
    )

    assert (actuals.deal_size, actuals.rate) == (Fraction(1_500), Fraction(4, 100))
    assert actuals.deal_size_is_actual and not actuals.rate_is_actual


def test_more_wins_than_new_leads_is_capped_at_a_100_percent_rate() -> None:
    actuals = funnel_actuals(
        won=5,
        won_revenue=Fraction(5_000),
        leads=2,
        default_deal_size=Fraction(1_000),
        default_rate=Fraction(4, 100),
    )

    assert actuals.rate == 1 and actuals.rate_capped


def test_the_rest_of_the_year_spreads_what_remains_over_the_months_and_weeks_left() -> None:
    now = utc(2026, 7, 1)
    year = current_period(Period.YEAR, now=now, tz=UTC)

    plan = plan_period(needed=2_500, so_far=1_000, span=year, reps=4, now=now, tz=UTC)

    assert plan.remaining == 1_500
    assert plan.months_left == 6 and plan.per_month == 250
    assert plan.weeks_left == Fraction(184, 7)  # 1 July to 1 January is 184 days
    assert plan.per_week == 58  # 1,500 ÷ 26.29 = 57.07, rounded up
    assert (plan.per_rep, plan.per_rep_per_month) == (375, 63)  # 1,500 ÷ 4; 250 ÷ 4 up
    assert plan.expected_by_now == 1_240  # 2,500 × 181/365 = 1,239.7, rounded up
    assert not plan.on_pace


def test_a_goal_already_met_needs_nothing_more_and_is_on_pace() -> None:
    now = utc(2026, 11, 20)
    month = current_period(Period.MONTH, now=now, tz=UTC)

    plan = plan_period(needed=100, so_far=130, span=month, reps=0, now=now, tz=UTC)

    assert (plan.remaining, plan.per_month, plan.per_week) == (0, 0, 0)
    assert plan.per_rep is None and plan.on_pace


def test_in_the_last_days_what_remains_is_needed_this_week_not_more() -> None:
    now = utc(2026, 11, 28)
    month = current_period(Period.MONTH, now=now, tz=UTC)

    plan = plan_period(needed=100, so_far=90, span=month, reps=1, now=now, tz=UTC)

    assert (plan.per_month, plan.per_week) == (10, 10)


@given(
    needed=st.integers(min_value=0, max_value=10**9),
    so_far=st.integers(min_value=0, max_value=10**9),
    reps=st.integers(min_value=0, max_value=500),
    minutes=st.integers(min_value=0, max_value=365 * 24 * 60 - 1),
)
def test_the_rest_of_the_period_always_covers_what_remains(
    needed: int, so_far: int, reps: int, minutes: int
) -> None:
    now = utc(2026, 1, 1) + timedelta(minutes=minutes)
    year = current_period(Period.YEAR, now=now, tz=NEW_YORK)

    plan = plan_period(needed=needed, so_far=so_far, span=year, reps=reps, now=now, tz=NEW_YORK)

    assert plan.remaining == max(needed - so_far, 0)
    assert plan.per_month * max(plan.months_left, Fraction(1)) >= plan.remaining
    assert plan.per_week * max(plan.weeks_left, Fraction(1)) >= plan.remaining
    assert plan.per_month <= plan.remaining and plan.per_week <= plan.remaining
    if reps:
        assert plan.per_rep is not None and plan.per_rep * reps >= plan.remaining
