"""The sales cadence at its edges (DESIGN §2 "Touch cadence"): when each touch is due, when a
lead turns overdue and since when, and when its window ends in a breach.

Due times strictly increase. Touch 1 is due at a + min(H, D/K) ≤ a + D/K, and touch k ≥ 2 at
a + k·D/K, which grows by D/K (at least a second for any SLA an admin could set) with each k;
so no two touches share a due time, and a rep never owes two touches at the same moment.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cadence import (
    SalesSla,
    is_breached,
    is_overdue,
    next_touch_due,
    touch_due,
    window_end,
)

A = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
DEFAULT = SalesSla()  # 6 touches in 14 days, the first within 24 hours
BERLIN = ZoneInfo("Europe/Berlin")


def hours(*values: float) -> list[timedelta]:
    return [timedelta(hours=value) for value in values]


@pytest.mark.parametrize(
    ("sla", "after_assignment"),
    [
        # D/K = 56 h, longer than H: touch 1 at H, then every 56 h to the end of the window.
        (DEFAULT, hours(24, 112, 168, 224, 280, 336)),
        # D/K = 12 h, shorter than H = 24 h: touch 1 cannot wait 24 h, it is due at 12 h.
        (SalesSla(touches=6, days=3, first_touch_hours=24), hours(12, 24, 36, 48, 60, 72)),
        # D/K = H: both rules agree.
        (SalesSla(touches=7, days=7, first_touch_hours=24), hours(24, 48, 72, 96, 120, 144, 168)),
        # K = 1, H < D: the single touch is the first touch, due within H, not at the window end.
        (SalesSla(touches=1, days=14, first_touch_hours=24), hours(24)),
        # K = 1, H > D: the first-touch deadline is capped at the window end.
        (SalesSla(touches=1, days=1, first_touch_hours=48), hours(24)),
        # D/K = 8 h is not a whole day: touch k at k·8 h.
        (SalesSla(touches=3, days=1, first_touch_hours=1), hours(1, 16, 24)),
    ],
    ids=["6-in-14d-H24", "6-in-3d-H24", "7-in-7d-H24", "1-in-14d-H24", "1-in-1d-H48", "3-in-1d-H1"],
)
def test_every_touch_is_due_at_its_share_of_the_window(
    sla: SalesSla, after_assignment: list[timedelta]
) -> None:
    dues = [touch_due(assigned_at=A, touch=k, sla=sla) for k in range(1, sla.touches + 1)]

    assert dues == [A + offset for offset in after_assignment]


def test_an_uneven_window_puts_touches_to_the_microsecond_and_the_last_at_d() -> None:
    sla = SalesSla(touches=7, days=1, first_touch_hours=1)  # D/K = 3 h 25 m 42.857142… s

    assert touch_due(assigned_at=A, touch=1, sla=sla) == A + timedelta(hours=1)
    # 2/7 of a day = 24,685.714285714… s, rounded to the nearest microsecond.
    assert touch_due(assigned_at=A, touch=2, sla=sla) == A + timedelta(microseconds=24_685_714_286)
    assert touch_due(assigned_at=A, touch=7, sla=sla) == A + timedelta(days=1)


@pytest.mark.parametrize("touch", [0, 7, -1])
def test_there_is_no_touch_outside_one_to_k(touch: int) -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.6"):
        touch_due(assigned_at=A, touch=touch, sla=DEFAULT)


@pytest.mark.parametrize("logged", range(0, 6))
def test_the_next_touch_due_is_the_first_one_not_yet_logged(logged: int) -> None:
    due = next_touch_due(assigned_at=A, touches=logged, sla=DEFAULT)

    assert due == touch_due(assigned_at=A, touch=logged + 1, sla=DEFAULT)


@pytest.mark.parametrize("logged", [6, 7, 50])
def test_once_k_touches_are_logged_nothing_more_is_due(logged: int) -> None:
    assert next_touch_due(assigned_at=A, touches=logged, sla=DEFAULT) is None


@pytest.mark.parametrize("logged", range(0, 6))
def test_a_lead_turns_overdue_at_the_due_instant_and_not_a_microsecond_before(logged: int) -> None:
    due = next_touch_due(assigned_at=A, touches=logged, sla=DEFAULT)
    assert due is not None

    assert not is_overdue(next_due=due, now=due - TICK)
    assert is_overdue(next_due=due, now=due)
    assert is_overdue(next_due=due, now=due + timedelta(days=30))


def test_a_lead_with_every_touch_logged_is_never_overdue() -> None:
    assert not is_overdue(next_due=None, now=A + timedelta(days=365))


def test_a_lead_is_overdue_since_the_due_time_of_its_first_missing_touch() -> None:
    # Two touches logged, checked on day 10: touches 3 (day 7) and 4 (day 9⅓) are both missing.
    now = A + timedelta(days=10)
    since = next_touch_due(assigned_at=A, touches=2, sla=DEFAULT)

    assert is_overdue(next_due=since, now=now)
    assert since == A + timedelta(days=7)  # touch 3, not touch 4 at A + 9 d 8 h
    assert touch_due(assigned_at=A, touch=4, sla=DEFAULT) == A + timedelta(days=9, hours=8)


def test_the_window_ends_d_days_after_assignment() -> None:
    assert window_end(assigned_at=A, sla=DEFAULT) == A + timedelta(days=14)
    assert window_end(assigned_at=A, sla=SalesSla(touches=3, days=5)) == A + timedelta(days=5)


def test_a_window_short_of_k_touches_is_a_breach_from_its_last_instant_on() -> None:
    end = A + timedelta(days=14)

    assert not is_breached(assigned_at=A, sla_met_at=None, sla=DEFAULT, now=end - TICK)
    assert is_breached(assigned_at=A, sla_met_at=None, sla=DEFAULT, now=end)
    assert is_breached(assigned_at=A, sla_met_at=None, sla=DEFAULT, now=end + timedelta(days=40))


def test_the_kth_touch_at_the_last_instant_of_the_window_meets_the_sla() -> None:
    end = A + timedelta(days=14)

    assert not is_breached(assigned_at=A, sla_met_at=end, sla=DEFAULT, now=end)
    assert not is_breached(assigned_at=A, sla_met_at=end, sla=DEFAULT, now=end + timedelta(days=1))


def test_the_kth_touch_a_microsecond_after_the_window_is_still_a_breach() -> None:
    end = A + timedelta(days=14)

    assert is_breached(assigned_at=A, sla_met_at=end + TICK, sla=DEFAULT, now=end + TICK)
    assert is_breached(assigned_at=A, sla_met_at=end + TICK, sla=DEFAULT, now=end + timedelta(1))


def test_a_window_still_running_is_no_breach_however_few_touches() -> None:
    assert not is_breached(
        assigned_at=A, sla_met_at=None, sla=DEFAULT, now=A + timedelta(days=13, hours=23)
    )


def test_a_sla_met_early_is_no_breach_once_the_window_ends() -> None:
    met = A + timedelta(days=2)

    assert not is_breached(assigned_at=A, sla_met_at=met, sla=DEFAULT, now=A + timedelta(days=90))


def test_due_times_count_real_hours_across_a_change_of_clocks() -> None:
    # Assigned at noon on 20 October in Berlin; the clocks go back on 25 October, so the window
    # ends at 11:00 on 3 November by the wall clock: 14 × 24 hours later, not at noon.
    assigned = datetime(2026, 10, 20, 12, tzinfo=BERLIN)

    end = window_end(assigned_at=assigned, sla=DEFAULT)
    last = touch_due(assigned_at=assigned, touch=6, sla=DEFAULT)

    assert end == last == datetime(2026, 11, 3, 11, tzinfo=BERLIN)
    assert end.astimezone(UTC) - assigned.astimezone(UTC) == timedelta(days=14)
    assert not is_breached(assigned_at=assigned, sla_met_at=None, sla=DEFAULT, now=end - TICK)
    assert is_breached(assigned_at=assigned, sla_met_at=None, sla=DEFAULT, now=end)


slas = st.builds(
    SalesSla,
    touches=st.integers(min_value=1, max_value=60),
    days=st.integers(min_value=1, max_value=365),
    first_touch_hours=st.integers(min_value=1, max_value=24 * 400),
)
assignments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(sla=slas, assigned=assignments)
def test_due_times_strictly_increase_inside_the_window(sla: SalesSla, assigned: datetime) -> None:
    dues = [touch_due(assigned_at=assigned, touch=k, sla=sla) for k in range(1, sla.touches + 1)]

    assert all(earlier < later for earlier, later in itertools.pairwise(dues))
    assert assigned < dues[0] <= assigned + timedelta(hours=sla.first_touch_hours)
    assert dues[-1] <= window_end(assigned_at=assigned, sla=sla)


@given(sla=slas, assigned=assignments)
def test_the_kth_touch_is_due_exactly_at_the_window_end(sla: SalesSla, assigned: datetime) -> None:
    last = touch_due(assigned_at=assigned, touch=sla.touches, sla=sla)

    if sla.touches > 1 or sla.first_touch_hours >= 24 * sla.days:
        assert last == assigned + timedelta(days=sla.days)
    else:  # K = 1: the only touch is also the first, due within H hours
        assert last == assigned + timedelta(hours=sla.first_touch_hours)


@given(
    sla=slas,
    assigned=assignments,
    zone=st.sampled_from(["Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe"]),
)
def test_the_same_assignment_has_the_same_due_times_in_any_zone(
    sla: SalesSla, assigned: datetime, zone: str
) -> None:
    local = assigned.astimezone(ZoneInfo(zone))

    for touch in range(1, sla.touches + 1):
        assert touch_due(assigned_at=local, touch=touch, sla=sla) == touch_due(
            assigned_at=assigned, touch=touch, sla=sla
        )
    assert window_end(assigned_at=local, sla=sla) == window_end(assigned_at=assigned, sla=sla)


@st.composite
def on_time_touches(draw: st.DrawFn) -> tuple[SalesSla, list[datetime], datetime]:
    """An SLA, K touches each logged no later than it was due (the k-th earliest by touch k's
    due time), and a moment anywhere from the assignment to well after the window."""
    sla = draw(slas)
    logged = []
    for touch in range(1, sla.touches + 1):
        due = touch_due(assigned_at=A, touch=touch, sla=sla)
        early = draw(st.integers(min_value=0, max_value=(due - A) // TICK))
        logged.append(due - early * TICK)
    now = A + draw(st.integers(min_value=0, max_value=2 * sla.window // TICK)) * TICK
    return sla, sorted(logged), now


@given(case=on_time_touches())
def test_a_lead_with_every_touch_logged_on_time_is_never_overdue_nor_breached(
    case: tuple[SalesSla, list[datetime], datetime],
) -> None:
    sla, logged, now = case
    so_far = sum(1 for moment in logged if moment <= now)
    met = logged[-1] if so_far == sla.touches else None

    due = next_touch_due(assigned_at=A, touches=so_far, sla=sla)

    assert not is_overdue(next_due=due, now=now)
    assert not is_breached(assigned_at=A, sla_met_at=met, sla=sla, now=now)


@given(sla=slas, logged=st.integers(min_value=0, max_value=60), late=st.integers(0, 10**12))
def test_a_missing_touch_makes_the_lead_overdue_from_its_due_time_on(
    sla: SalesSla, logged: int, late: int
) -> None:
    due = next_touch_due(assigned_at=A, touches=logged, sla=sla)

    if logged >= sla.touches:
        assert due is None
    else:
        assert due == touch_due(assigned_at=A, touch=logged + 1, sla=sla)
        assert is_overdue(next_due=due, now=due + late * TICK)
        assert not is_overdue(next_due=due, now=due - TICK)
