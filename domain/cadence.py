"""The sales side of the SLA: when each touch of a lead is due, and when it is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class SalesSla:
    """K touches in D days of assignment, the first within H hours (sales-ready leads may have
    their own, shorter H: speed to lead); escalate after E hours."""

    touches: int = 6
    days: int = 14
    first_touch_hours: int = 24
    escalate_after_hours: int = 48
    sales_ready_first_touch_hours: int | None = None  # None: the same H as every lead

    def __post_init__(self) -> None:
        if self.touches < 1 or self.days < 1 or self.first_touch_hours < 1:
            raise ValueError("touches, days and first-touch hours must be at least 1")
        own = self.sales_ready_first_touch_hours
        if own is not None and own < 1:
            raise ValueError("first-touch hours must be at least 1")
        if self.escalate_after_hours < 0:
            raise ValueError("escalation hours cannot be negative")

    def first_touch(self, *, sales_ready: bool) -> timedelta:
        """H for this lead: the sales-ready one when set and the lead is sales-ready."""
        hours = self.first_touch_hours
        if sales_ready and self.sales_ready_first_touch_hours is not None:
            hours = self.sales_ready_first_touch_hours
        return timedelta(hours=hours)

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.days)


def _after(moment: datetime, elapsed: timedelta) -> datetime:
    """The moment `elapsed` of real time later, in UTC.

    Adding to a datetime in a zone with summer time adds wall-clock time (14 days after noon
    on 20 October in Berlin would be noon on 3 November, an hour too late), so the sum is
    taken in UTC: the same instant gets the same due times whatever zone it is written in.
    It stays in UTC, as stored: a local time in the repeated hour of a change of clocks
    never compares equal to a time in another zone (PEP 495), even at the same instant.
    """
    if moment.tzinfo is None:
        return moment + elapsed
    return moment.astimezone(UTC) + elapsed


def touch_due(
    *, assigned_at: datetime, touch: int, sla: SalesSla, sales_ready: bool = False
) -> datetime:
    """Touch k (1-based) is due at a + k·D/K; touch 1 at a + min(H, D/K), H the sales-ready
    lead's own when the SLA gives them one."""
    if not 1 <= touch <= sla.touches:
        raise ValueError(f"touch {touch} is outside 1..{sla.touches}")
    spacing = sla.window / sla.touches
    if touch == 1:
        return _after(assigned_at, min(sla.first_touch(sales_ready=sales_ready), spacing))
    # Multiply before dividing, so the last touch falls exactly at the end of the window.
    return _after(assigned_at, sla.window * touch / sla.touches)


def next_touch_due(
    *, assigned_at: datetime, touches: int, sla: SalesSla, sales_ready: bool = False
) -> datetime | None:
    """When the first missing touch is due; None once all K touches are logged."""
    if touches >= sla.touches:
        return None
    return touch_due(
        assigned_at=assigned_at, touch=touches + 1, sla=sla, sales_ready=sales_ready
    )


def is_overdue(*, next_due: datetime | None, now: datetime) -> bool:
    """Fewer touches logged than are due by now; overdue since `next_due`."""
    return next_due is not None and next_due <= now


def window_end(*, assigned_at: datetime, sla: SalesSla) -> datetime:
    return _after(assigned_at, sla.window)


def is_breached(
    *, assigned_at: datetime, sla_met_at: datetime | None, sla: SalesSla, now: datetime
) -> bool:
    """The window has ended and the K-th touch did not come within it."""
    end = window_end(assigned_at=assigned_at, sla=sla)
    return now >= end and (sla_met_at is None or sla_met_at > end)


def outcome_after(sla: SalesSla) -> timedelta:
    """How long after its window's end a lead still short of K touches stays on the overdue
    lists: the escalation delay, by which its breach has been escalated (a breach is overdue
    since its first missing touch, due at the window's end at the latest)."""
    return timedelta(hours=sla.escalate_after_hours)


def needs_outcome(
    *,
    window_ends_at: datetime | None,
    next_touch_due: datetime | None,
    sla: SalesSla,
    now: datetime,
) -> bool:
    """DESIGN §2 "Every lead reaches an end": its window has ended and every touch came, or
    it breached and its escalation is past. Then it is nudged no more and waits for its owner
    to say won, lost, rejected or recycled."""
    if window_ends_at is None or window_ends_at > now:
        return False
    return next_touch_due is None or window_ends_at <= now - outcome_after(sla)


def still_overdue(
    *,
    window_ends_at: datetime | None,
    next_touch_due: datetime | None,
    sla: SalesSla,
    now: datetime,
) -> bool:
    """Overdue, and not yet waiting for an outcome: what the overdue lists and counts show."""
    return is_overdue(next_due=next_touch_due, now=now) and not needs_outcome(
        window_ends_at=window_ends_at, next_touch_due=next_touch_due, sla=sla, now=now
    )
