"""Both sides of the SLA, judged (domain/sla.py with the month from domain/pace.py): marketing's
pace through every day of a month, in UTC and across changes of clocks, and sales' counts,
compliance and median first-touch time for a rep and summed for a team."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.funnel import Period
from domain.pace import current_period, elapsed_fraction
from domain.sla import (
    MarketingSla,
    SalesCounts,
    marketing_pace,
    median_duration,
    team_total,
)

TICK = timedelta(microseconds=1)
BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class Month:
    """A month as the workspace's clocks read it, with what a calendar says about it: its
    length, the day its clocks change (if they do) and by how much, and where it starts and
    ends in UTC. Written out by hand, so the tests do not lean on the code's own arithmetic."""

    name: str
    zone: tzinfo
    year: int
    month: int
    days: int
    start_utc: datetime
    end_utc: datetime
    change_day: int | None = None  # the clocks change at 02:00 or 03:00 local on this day
    shift_hours: int = 0  # hours the month gains (+1, clocks go back) or loses (-1)

    @property
    def hours(self) -> int:
        return self.days * 24 + self.shift_hours

    def local(self, day: int, hour: int = 0) -> datetime:
        return datetime(self.year, self.month, day, hour, tzinfo=self.zone)

    def hours_passed(self, day: int, hour: int) -> int:
        """Real hours from the local midnight on the 1st to `hour` o'clock on `day`."""
        passed = (day - 1) * 24 + hour
        if self.change_day is not None and (day, hour) > (self.change_day, 3):
            passed += self.shift_hours
        return passed


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


MONTHS = [
    Month("feb-2026-utc", UTC, 2026, 2, 28, utc(2026, 2, 1), utc(2026, 3, 1)),
    Month("feb-2028-utc-leap", UTC, 2028, 2, 29, utc(2028, 2, 1), utc(2028, 3, 1)),
    Month("nov-2026-utc", UTC, 2026, 11, 30, utc(2026, 11, 1), utc(2026, 12, 1)),
    Month("dec-2026-utc", UTC, 2026, 12, 31, utc(2026, 12, 1), utc(2027, 1, 1)),
    Month("feb-2028-berlin-leap", BERLIN, 2028, 2, 29, utc(2028, 1, 31, 23), utc(2028, 2, 29, 23)),
    # Summer time starts on Sunday 29 March 2026 at 02:00: March is an hour short.
    Month(
        "mar-2026-berlin", BERLIN, 2026, 3, 31, utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), 29, -1
    ),
    # Summer time ends on Sunday 25 October 2026 at 03:00: October is an hour long.
    Month(
        "oct-2026-berlin", BERLIN, 2026, 10, 31, utc(2026, 9, 30, 22), utc(2026, 10, 31, 23), 25, 1
    ),
    # Daylight time ends on Sunday 1 November 2026 at 02:00: November is an hour long.
    Month(
        "nov-2026-los-angeles",
        LOS_ANGELES,
        2026,
        11,
        30,
        utc(2026, 11, 1, 7),
        utc(2026, 12, 1, 8),
        1,
        1,
    ),
]
EVERY_DAY = [
    pytest.param(month, day, hour, id=f"{month.name}-{day:02}-{hour:02}h")
    for month in MONTHS
    for day in range(1, month.days + 1)
    for hour in (0, 12)
]
COMMITMENTS = (7, 300)  # a small total (rounding shows) and 100 a rep for 3 reps


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@pytest.mark.parametrize("month", MONTHS, ids=[month.name for month in MONTHS])
def test_the_month_runs_from_local_midnight_on_the_first_to_the_next_first(month: Month) -> None:
    span = current_period(Period.MONTH, now=month.local(15), tz=month.zone)

    assert span.start.astimezone(UTC) == month.start_utc
    assert span.end.astimezone(UTC) == month.end_utc
    assert month.end_utc - month.start_utc == timedelta(hours=month.hours)


@pytest.mark.parametrize(("month", "day", "hour"), EVERY_DAY)
def test_expected_by_now_is_the_commitment_times_the_month_gone_rounded_up(
    month: Month, day: int, hour: int
) -> None:
    now = month.local(day, hour)
    passed = month.hours_passed(day, hour)
    span = current_period(Period.MONTH, now=now, tz=month.zone)

    elapsed = elapsed_fraction(span, now=now)

    assert elapsed == Fraction(passed, month.hours)
    for committed in COMMITMENTS:
        expected = ceil_div(committed * passed, month.hours)
        on_the_line = marketing_pace(delivered=expected, committed=committed, elapsed=elapsed)
        assert on_the_line.expected == expected
        assert on_the_line.on_pace and on_the_line.behind_by == 0
        if expected > 0:
            short = marketing_pace(delivered=expected - 1, committed=committed, elapsed=elapsed)
            assert not short.on_pace and short.behind_by == 1
            none = marketing_pace(delivered=0, committed=committed, elapsed=elapsed)
            assert none.behind_by == expected


@pytest.mark.parametrize("month", MONTHS, ids=[month.name for month in MONTHS])
def test_at_local_midnight_on_the_first_nothing_is_expected_yet(month: Month) -> None:
    now = month.start_utc  # the same instant as local midnight on the 1st
    span = current_period(Period.MONTH, now=now, tz=month.zone)

    pace = marketing_pace(delivered=0, committed=300, elapsed=elapsed_fraction(span, now=now))

    assert span.start == month.local(1)
    assert span.contains(now)
    assert (pace.expected, pace.on_pace, pace.behind_by) == (0, True, 0)


@pytest.mark.parametrize("month", MONTHS, ids=[month.name for month in MONTHS])
def test_a_microsecond_before_local_midnight_on_the_first_is_last_month_nearly_done(
    month: Month,
) -> None:
    now = month.start_utc - TICK
    span = current_period(Period.MONTH, now=now, tz=month.zone)
    elapsed = elapsed_fraction(span, now=now)

    assert span.end.astimezone(UTC) == month.start_utc
    assert not span.contains(month.start_utc)
    assert 0 < 1 - elapsed < Fraction(1, 10**9)
    assert marketing_pace(delivered=299, committed=300, elapsed=elapsed).behind_by == 1


@pytest.mark.parametrize("month", MONTHS, ids=[month.name for month in MONTHS])
def test_the_last_microsecond_of_the_month_expects_the_whole_commitment(month: Month) -> None:
    now = month.end_utc - TICK
    span = current_period(Period.MONTH, now=now, tz=month.zone)
    elapsed = elapsed_fraction(span, now=now)

    assert span.start.astimezone(UTC) == month.start_utc
    assert elapsed < 1
    assert marketing_pace(delivered=300, committed=300, elapsed=elapsed).on_pace
    assert marketing_pace(delivered=299, committed=300, elapsed=elapsed).behind_by == 1
    after = current_period(Period.MONTH, now=month.end_utc, tz=month.zone)
    assert after.start.astimezone(UTC) == month.end_utc
    assert elapsed_fraction(after, now=month.end_utc) == 0


def test_a_lead_created_at_22_30_utc_on_31_march_belongs_to_april_in_berlin() -> None:
    late = utc(2026, 3, 31, 22, 30)  # 00:30 on 1 April in Berlin

    march = current_period(Period.MONTH, now=utc(2026, 3, 15), tz=BERLIN)

    assert not march.contains(late)
    assert march.contains(late - timedelta(minutes=31))


@given(
    month=st.sampled_from(MONTHS),
    offset=st.integers(min_value=0),
    committed=st.integers(min_value=1, max_value=10**6),
)
def test_at_any_moment_of_the_month_expected_is_the_real_time_share_rounded_up(
    month: Month, offset: int, committed: int
) -> None:
    length = (month.end_utc - month.start_utc) // TICK
    now = month.start_utc + (offset % length) * TICK
    span = current_period(Period.MONTH, now=now.astimezone(month.zone), tz=month.zone)

    pace = marketing_pace(delivered=0, committed=committed, elapsed=elapsed_fraction(span, now=now))

    assert pace.expected == ceil_div(committed * (offset % length), length)
    assert 0 <= pace.expected <= committed


@given(
    month=st.sampled_from(MONTHS),
    moments=st.lists(st.integers(min_value=0), min_size=2, max_size=2),
    committed=st.integers(min_value=1, max_value=10**4),
)
def test_expected_by_now_never_goes_down_as_the_month_goes_on(
    month: Month, moments: list[int], committed: int
) -> None:
    length = (month.end_utc - month.start_utc) // TICK
    earlier, later = sorted(month.start_utc + (moment % length) * TICK for moment in moments)
    span = current_period(Period.MONTH, now=earlier, tz=month.zone)

    def expected(now: datetime) -> int:
        elapsed = elapsed_fraction(span, now=now)
        return marketing_pace(delivered=0, committed=committed, elapsed=elapsed).expected

    assert expected(earlier) <= expected(later)


def test_on_pace_means_delivered_reaches_expected_exactly() -> None:
    half = Fraction(1, 2)

    assert marketing_pace(delivered=50, committed=100, elapsed=half).on_pace
    assert not marketing_pace(delivered=49, committed=100, elapsed=half).on_pace
    assert marketing_pace(delivered=49, committed=100, elapsed=half).behind_by == 1


def test_delivering_ahead_of_pace_is_never_behind() -> None:
    pace = marketing_pace(delivered=140, committed=100, elapsed=Fraction(1, 3))

    assert pace.expected == 34 and pace.on_pace and pace.behind_by == 0


def test_a_fraction_of_a_lead_expected_already_counts_as_one() -> None:
    pace = marketing_pace(delivered=0, committed=300, elapsed=Fraction(1, 743))

    assert pace.expected == 1 and pace.behind_by == 1


@pytest.mark.parametrize("elapsed", [Fraction(-1, 100), Fraction(101, 100)])
def test_an_elapsed_share_outside_the_month_is_refused(elapsed: Fraction) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        marketing_pace(delivered=0, committed=100, elapsed=elapsed)


@pytest.mark.parametrize(("reps", "committed"), [(0, 0), (1, 100), (3, 300), (12, 1_200)])
def test_a_per_rep_commitment_is_the_leads_per_rep_times_the_reps(
    reps: int, committed: int
) -> None:
    assert MarketingSla(leads_per_month=100, per_rep=True).committed(reps=reps) == committed


@pytest.mark.parametrize("reps", [0, 1, 3, 12])
def test_a_total_commitment_does_not_depend_on_the_reps(reps: int) -> None:
    assert MarketingSla(leads_per_month=250, per_rep=False).committed(reps=reps) == 250


def test_the_default_commitment_is_100_sales_ready_leads_per_rep_a_month() -> None:
    assert MarketingSla().committed(reps=4) == 400


def test_a_commitment_below_one_lead_a_month_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MarketingSla(leads_per_month=0)


def test_with_no_rep_a_per_rep_commitment_expects_nothing() -> None:
    committed = MarketingSla(leads_per_month=100).committed(reps=0)

    pace = marketing_pace(delivered=0, committed=committed, elapsed=Fraction(1, 2))

    assert (pace.expected, pace.on_pace) == (0, True)


# Sales side: counts per rep, summed for a team.


def test_a_team_total_adds_every_count_of_every_rep() -> None:
    ada = SalesCounts(in_window=4, overdue_in_window=1, overdue=2, breaches=1)
    bob = SalesCounts(in_window=6, overdue_in_window=3, overdue=3, breaches=0)
    cy = SalesCounts(in_window=0, overdue_in_window=0, overdue=1, breaches=2)

    team = team_total([ada, bob, cy])

    assert team == SalesCounts(in_window=10, overdue_in_window=4, overdue=6, breaches=3)
    assert team.compliance == Fraction(6, 10)


def test_an_empty_team_totals_to_nothing_with_no_compliance() -> None:
    assert team_total([]) == SalesCounts()
    assert team_total([]).compliance is None


def test_team_compliance_weighs_every_lead_not_every_rep() -> None:
    ada = SalesCounts(in_window=1)  # 100 %
    bob = SalesCounts(in_window=9, overdue_in_window=8)  # 1 of 9 on cadence

    assert team_total([ada, bob]).compliance == Fraction(2, 10)  # not the reps' mean, 56 %


def test_with_no_lead_in_its_window_there_is_no_compliance_to_show() -> None:
    # Old overdue leads and breaches do not make a compliance figure out of nothing.
    assert SalesCounts(in_window=0, overdue=5, breaches=2).compliance is None


def test_no_overdue_lead_in_the_window_is_full_compliance() -> None:
    assert SalesCounts(in_window=7, overdue=3).compliance == 1


def test_every_lead_in_the_window_overdue_is_zero_compliance() -> None:
    compliance = SalesCounts(in_window=7, overdue_in_window=7, overdue=9).compliance

    assert compliance == 0 and compliance is not None


counts = st.builds(
    SalesCounts,
    in_window=st.integers(min_value=0, max_value=10**6),
    overdue_in_window=st.integers(min_value=0, max_value=10**6),
    overdue=st.integers(min_value=0, max_value=10**6),
    breaches=st.integers(min_value=0, max_value=10**6),
)


@st.composite
def rep_counts(draw: st.DrawFn) -> SalesCounts:
    """Counts one rep can actually have: overdue in the window is part of both totals."""
    in_window = draw(st.integers(min_value=0, max_value=10**4))
    overdue_in_window = draw(st.integers(min_value=0, max_value=in_window))
    return SalesCounts(
        in_window=in_window,
        overdue_in_window=overdue_in_window,
        overdue=overdue_in_window + draw(st.integers(min_value=0, max_value=10**4)),
        breaches=draw(st.integers(min_value=0, max_value=10**4)),
    )


@given(a=counts, b=counts, c=counts)
def test_summing_counts_is_associative_and_commutative(
    a: SalesCounts, b: SalesCounts, c: SalesCounts
) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a


@given(a=counts)
def test_no_counts_is_the_identity_of_a_sum(a: SalesCounts) -> None:
    assert a + SalesCounts() == a == SalesCounts() + a
    assert team_total([a]) == a


@given(team=st.lists(rep_counts(), max_size=12), split=st.integers(min_value=0, max_value=12))
def test_a_team_total_is_the_same_summed_in_any_grouping(
    team: list[SalesCounts], split: int
) -> None:
    whole = team_total(team)

    assert whole == team_total(team[:split]) + team_total(team[split:])
    assert whole == team_total(reversed(team))


@given(team=st.lists(rep_counts(), min_size=1, max_size=12))
def test_team_compliance_lies_between_its_best_and_worst_rep(team: list[SalesCounts]) -> None:
    shares = [rep.compliance for rep in team if rep.compliance is not None]

    compliance = team_total(team).compliance

    if not shares:
        assert compliance is None
    else:
        assert compliance is not None
        assert min(shares) <= compliance <= max(shares)
        assert 0 <= compliance <= 1


# Median first-touch time.


def test_no_first_touch_has_no_median() -> None:
    assert median_duration([]) is None


def test_the_median_of_an_odd_count_is_the_middle_one_in_any_order() -> None:
    durations = [timedelta(hours=9), timedelta(minutes=30), timedelta(hours=2)]

    assert median_duration(durations) == timedelta(hours=2)
    assert median_duration(iter(durations)) == timedelta(hours=2)


def test_the_median_of_an_even_count_lies_halfway_between_the_middle_two() -> None:
    durations = [timedelta(hours=10), timedelta(hours=1), timedelta(hours=3), timedelta(hours=2)]

    assert median_duration(durations) == timedelta(hours=2, minutes=30)


def test_one_first_touch_is_its_own_median() -> None:
    assert median_duration([timedelta(minutes=42)]) == timedelta(minutes=42)


def test_the_median_is_shown_to_the_second() -> None:
    a_minute_and_a_bit = timedelta(seconds=61, microseconds=200_000)
    durations = [
        a_minute_and_a_bit,
        timedelta(hours=1),
        timedelta(seconds=65, microseconds=900_000),
    ]

    assert median_duration([a_minute_and_a_bit]) == timedelta(seconds=61)
    assert median_duration(durations) == timedelta(seconds=66)


@given(
    st.lists(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365)),
        min_size=1,
        max_size=40,
    )
)
def test_the_median_is_within_half_a_second_of_the_exact_middle(
    durations: list[timedelta],
) -> None:
    ordered = sorted(durations)
    middle = len(ordered) // 2
    exact = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    median = median_duration(durations)

    assert median is not None
    assert median.microseconds == 0
    assert abs(median - exact) <= timedelta(milliseconds=500, microseconds=1)
    assert math.floor(median.total_seconds()) == median.total_seconds()
