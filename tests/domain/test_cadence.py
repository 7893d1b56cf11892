"""Touch cadence (DESIGN §2): due times, overdue, breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cadence import SalesSla, is_breached, is_overdue, next_touch_due, touch_due

A = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEFAULT = SalesSla()


def test_the_first_touch_is_due_within_h_hours() -> None:
    assert touch_due(assigned_at=A, touch=1, sla=DEFAULT) == A + timedelta(hours=24)


def test_a_first_touch_deadline_later_than_the_spacing_is_capped_at_the_spacing() -> None:
    sla = SalesSla(touches=6, days=3, first_touch_hours=24)  # D/K = 12 h

    assert touch_due(assigned_at=A, touch=1, sla=sla) == A + timedelta(hours=12)


def test_touch_k_is_due_at_k_times_d_over_k() -> None:
    assert touch_due(assigned_at=A, touch=3, sla=DEFAULT) == A + timedelta(days=7)
    assert touch_due(assigned_at=A, touch=6, sla=DEFAULT) == A + timedelta(days=14)


def test_after_all_touches_nothing_more_is_due() -> None:
    assert next_touch_due(assigned_at=A, touches=6, sla=DEFAULT) is None


def test_overdue_from_the_due_moment_itself() -> None:
    due = next_touch_due(assigned_at=A, touches=0, sla=DEFAULT)

    assert not is_overdue(next_due=due, now=A + timedelta(hours=23, minutes=59))
    assert is_overdue(next_due=due, now=A + timedelta(hours=24))


def test_a_window_that_ends_short_of_k_touches_is_a_breach() -> None:
    end = A + timedelta(days=14)

    assert not is_breached(
        assigned_at=A, sla_met_at=None, sla=DEFAULT, now=end - timedelta(seconds=1)
    )
    assert is_breached(assigned_at=A, sla_met_at=None, sla=DEFAULT, now=end)
    assert not is_breached(assigned_at=A, sla_met_at=end, sla=DEFAULT, now=end + timedelta(days=1))
    assert is_breached(
        assigned_at=A, sla_met_at=end + timedelta(hours=1), sla=DEFAULT, now=end + timedelta(days=2)
    )


@pytest.mark.parametrize(
    "bad", [{"touches": 0}, {"days": 0}, {"first_touch_hours": 0}, {"escalate_after_hours": -1}]
)
def test_an_impossible_commitment_is_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        SalesSla(**bad)


@given(
    touches=st.integers(1, 30),
    days=st.integers(1, 90),
    hours=st.integers(1, 24 * 30),
)
def test_due_times_never_go_backwards_and_the_last_is_the_window_end(
    touches: int, days: int, hours: int
) -> None:
    sla = SalesSla(touches=touches, days=days, first_touch_hours=hours)
    dues = [touch_due(assigned_at=A, touch=k, sla=sla) for k in range(1, touches + 1)]

    assert dues == sorted(dues)
    assert dues[0] > A
    assert dues[-1] == A + timedelta(days=days) or touches == 1
