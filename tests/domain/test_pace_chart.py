"""The digest's pace chart as data (domain/pace_chart.py): leads per day, their running
total and the commitment's pace line against hand-computed values, a month with no commitment,
and input that cannot make a chart."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.pace_chart import pace_chart

NOVEMBER = date(2026, 11, 1)  # 30 days


def nov(day: int) -> date:
    return date(2026, 11, day)


def test_a_week_in_shows_each_days_leads_their_running_total_and_the_pace_line() -> None:
    chart = pace_chart(
        delivered_by_day={nov(2): 12, nov(3): 9, nov(5): 4},
        month_start=NOVEMBER,
        month_days=30,
        committed=300,
        through=nov(7),
    )

    assert chart.days == [nov(day) for day in range(1, 8)]
    # Days without a count delivered nothing.
    assert chart.delivered == [0, 12, 9, 0, 4, 0, 0]
    # 0, 0+12, 12+9, 21+0, 21+4, 25, 25
    assert chart.cumulative == [0, 12, 21, 21, 25, 25, 25]
    # 300 over 30 days is 10 a day: 10 by the end of Nov 1, … 70 by the end of Nov 7.
    assert chart.expected == [Fraction(10 * day) for day in range(1, 8)]
    assert chart.committed == 300
    assert chart.delivered_to_date == 25
    assert chart.expected_to_date == 70
    assert chart.on_pace is False  # 25 < 70


def test_the_pace_line_stays_exact_when_the_commitment_does_not_divide_by_the_days() -> None:
    december = date(2026, 12, 1)  # 31 days

    chart = pace_chart(
        delivered_by_day={date(2026, 12, 1): 10},
        month_start=december,
        month_days=31,
        committed=100,
        through=date(2026, 12, 3),
    )

    # 100 × 1/31, 100 × 2/31, 100 × 3/31 = 300/31 ≈ 9.68 by the end of Dec 3.
    assert chart.expected == [Fraction(100, 31), Fraction(200, 31), Fraction(300, 31)]
    assert chart.on_pace is True  # 10 ≥ 9.68


def test_one_lead_short_of_the_rounded_up_pace_is_behind() -> None:
    chart = pace_chart(
        delivered_by_day={date(2026, 12, 2): 9},
        month_start=date(2026, 12, 1),
        month_days=31,
        committed=100,
        through=date(2026, 12, 3),
    )

    # Expected 300/31 ≈ 9.68 leads: 9 whole leads do not reach it.
    assert chart.on_pace is False


def test_on_the_last_day_of_the_month_the_pace_line_reaches_the_whole_commitment() -> None:
    february = date(2028, 2, 1)  # a leap year: 29 days

    chart = pace_chart(
        delivered_by_day={date(2028, 2, 29): 58},
        month_start=february,
        month_days=29,
        committed=58,
        through=date(2028, 2, 29),
    )

    assert len(chart.days) == 29
    # 58 over 29 days is 2 a day: 2, 4, … 58.
    assert chart.expected == [Fraction(2 * day) for day in range(1, 30)]
    assert chart.cumulative == [0] * 28 + [58]
    assert chart.on_pace is True  # 58 ≥ 58


def test_on_the_months_first_full_day_the_chart_has_one_day() -> None:
    chart = pace_chart(
        delivered_by_day={nov(1): 3},
        month_start=NOVEMBER,
        month_days=30,
        committed=300,
        through=nov(1),
    )

    assert chart.days == [nov(1)]
    assert chart.delivered == [3]
    assert chart.cumulative == [3]
    assert chart.expected == [Fraction(10)]  # 300 × 1/30


def test_leads_of_the_digests_own_day_are_left_out_because_it_is_not_over() -> None:
    chart = pace_chart(
        delivered_by_day={nov(6): 5, nov(8): 40},
        month_start=NOVEMBER,
        month_days=30,
        committed=300,
        through=nov(7),
    )

    assert chart.days[-1] == nov(7)
    assert chart.delivered_to_date == 5  # Nov 8's 40 come after the chart ends


def test_with_no_commitment_set_there_is_no_pace_line_rather_than_one_at_zero() -> None:
    chart = pace_chart(
        delivered_by_day={nov(2): 4},
        month_start=NOVEMBER,
        month_days=30,
        committed=0,
        through=nov(3),
    )

    assert chart.expected is None
    assert chart.committed is None
    assert chart.expected_to_date is None
    assert chart.on_pace is None
    assert chart.cumulative == [0, 4, 4]


def test_the_title_names_the_month_and_the_last_day_drawn() -> None:
    chart = pace_chart(
        delivered_by_day={},
        month_start=NOVEMBER,
        month_days=30,
        committed=300,
        through=nov(3),
    )

    assert chart.title == "Sales-ready leads delivered, November 2026 (through Nov 3)"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"through": date(2026, 10, 31)}, "before it starts on 2026-11-01"),
        ({"through": date(2026, 12, 1)}, "after it ends on 2026-11-30"),
        ({"delivered_by_day": {nov(2): -1}}, "cannot be negative (-1 on 2026-11-02)"),
        ({"delivered_by_day": {date(2026, 10, 31): 2}}, "2026-10-31 falls before the month"),
        ({"committed": -5}, "commitment cannot be negative"),
        ({"month_start": nov(2)}, "first day, not 2026-11-02"),
        ({"month_days": 31}, "November 2026 has 30 days, not 31"),
    ],
)
def test_input_that_cannot_make_a_chart_is_refused_with_the_reason(
    changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "delivered_by_day": {nov(2): 1},
        "month_start": NOVEMBER,
        "month_days": 30,
        "committed": 300,
        "through": nov(7),
    }
    arguments.update(changes)

    with pytest.raises(ValueError) as refused:
        pace_chart(**arguments)  # type: ignore[arg-type]

    assert message in str(refused.value)


@given(
    counts=st.dictionaries(
        st.integers(min_value=0, max_value=29).map(lambda offset: NOVEMBER + timedelta(offset)),
        st.integers(min_value=0, max_value=1_000),
    ),
    through_day=st.integers(min_value=1, max_value=30),
    committed=st.integers(min_value=1, max_value=10_000),
)
def test_the_running_total_adds_up_the_days_drawn_and_the_pace_line_grows_evenly(
    counts: dict[date, int], through_day: int, committed: int
) -> None:
    chart = pace_chart(
        delivered_by_day=counts,
        month_start=NOVEMBER,
        month_days=30,
        committed=committed,
        through=nov(through_day),
    )

    assert len(chart.days) == len(chart.delivered) == len(chart.cumulative) == through_day
    assert chart.delivered_to_date == sum(n for day, n in counts.items() if day <= nov(through_day))
    assert chart.expected is not None
    steps = {later - earlier for earlier, later in pairwise([Fraction(0), *chart.expected])}
    assert steps == {Fraction(committed, 30)}
