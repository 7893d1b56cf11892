"""Lead grading: fit × interest → sales-ready, nurture, review, avoid or ungraded (DESIGN §1.2)."""

from __future__ import annotations

from enum import StrEnum

DEFAULT_THRESHOLD = 50


class Grade(StrEnum):
    SALES_READY = "sales-ready"
    NURTURE = "nurture"
    REVIEW = "review"
    AVOID = "avoid"
    UNGRADED = "ungraded"


class LeadStatus(StrEnum):
    """Where a lead stands in the closed loop; only `open` and `accepted` leads are worked."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WON = "won"
    LOST = "lost"

    @property
    def is_closed(self) -> bool:
        return self in {LeadStatus.REJECTED, LeadStatus.WON, LeadStatus.LOST}


def grade(*, fit: int | None, interest: int | None, threshold: int = DEFAULT_THRESHOLD) -> Grade:
    """A score at or above the threshold is high; a missing score leaves the lead ungraded."""
    if fit is None or interest is None:
        return Grade.UNGRADED
    high_fit, high_interest = fit >= threshold, interest >= threshold
    if high_fit:
        return Grade.SALES_READY if high_interest else Grade.NURTURE
    return Grade.REVIEW if high_interest else Grade.AVOID
