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
    RECYCLED = "recycled"  # handed back to marketing to nurture: sales is done with it

    @property
    def is_closed(self) -> bool:
        return self in {
            LeadStatus.REJECTED,
            LeadStatus.WON,
            LeadStatus.LOST,
            LeadStatus.RECYCLED,
        }


# The grades sales works on a cadence (DESIGN §2 "Whose lead it is"): nurture is marketing's,
# avoid is never worked, ungraded is incomplete.
WORKED_GRADES = frozenset({Grade.SALES_READY, Grade.REVIEW})


def grade(*, fit: int | None, interest: int | None, threshold: int = DEFAULT_THRESHOLD) -> Grade:
    """A score at or above the threshold is high; a missing score leaves the lead ungraded."""
    if fit is None or interest is None:
        return Grade.UNGRADED
    high_fit, high_interest = fit >= threshold, interest >= threshold
    if high_fit:
        return Grade.SALES_READY if high_interest else Grade.NURTURE
    return Grade.REVIEW if high_interest else Grade.AVOID


class Refusal(StrEnum):
    """Why a lead, as it stands, takes no such change."""

    CLOSED = "closed"
    ALREADY_ACCEPTED = "already accepted"
    UNASSIGNED = "unassigned"


def refusal(action: str, *, status: str, assigned: bool) -> Refusal | None:
    """None when `action` (touch, accept, reject, won, lost, or snooze) can apply to a lead in
    `status`: a closed lead takes nothing more, an accepted one is not accepted twice, and a
    touch on a lead with no owner would count for no one."""
    if LeadStatus(status).is_closed:
        return Refusal.CLOSED
    if action == "accept" and status == LeadStatus.ACCEPTED:
        return Refusal.ALREADY_ACCEPTED
    if action == "touch" and not assigned:
        return Refusal.UNASSIGNED
    return None
