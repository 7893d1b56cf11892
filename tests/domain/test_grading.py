"""Grading: fit × interest at the threshold (DESIGN §1.2)."""

from __future__ import annotations

import pytest

from domain.grading import Grade, grade


@pytest.mark.parametrize(
    ("fit", "interest", "expected"),
    [
        (50, 50, Grade.SALES_READY),  # at the threshold counts as high
        (100, 49, Grade.NURTURE),
        (49, 100, Grade.REVIEW),
        (0, 0, Grade.AVOID),
        (None, 80, Grade.UNGRADED),
        (80, None, Grade.UNGRADED),
    ],
)
def test_fit_and_interest_give_the_grade(
    fit: int | None, interest: int | None, expected: Grade
) -> None:
    assert grade(fit=fit, interest=interest) == expected


def test_the_threshold_is_a_setting() -> None:
    assert grade(fit=60, interest=60, threshold=70) == Grade.AVOID
