"""Both sides of the SLA, judged: is marketing on pace, is sales following up (DESIGN §1.3, §2)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from domain.cadence import SalesSla
from domain.lead_record import Lead
from domain.pace import ReportPeriod

DEFAULT_LEADS_PER_MONTH = 100  # the method's default: per rep, per month


@dataclass(frozen=True)
class MarketingSla:
    """N sales-ready leads a month, in total or for each rep."""

    leads_per_month: int = DEFAULT_LEADS_PER_MONTH
    per_rep: bool = True

    def __post_init__(self) -> None:
        if self.leads_per_month < 1:
            raise ValueError("the lead commitment must be at least 1 a month")

    def committed(self, *, reps: int) -> int:
        """This month's commitment for `reps` reps (a per-rep commitment times the reps)."""
        return self.leads_per_month * reps if self.per_rep else self.leads_per_month


@dataclass(frozen=True)
class MarketingPace:
    delivered: int
    committed: int
    expected: int  # by now: the commitment times the elapsed share of the month, rounded up

    @property
    def on_pace(self) -> bool:
        return self.delivered >= self.expected

    @property
    def behind_by(self) -> int:
        return max(self.expected - self.delivered, 0)


def marketing_pace(
    *,
    delivered: int,
    committed: int | Fraction,
    elapsed: Fraction,
    tracked: Fraction = Fraction(1),
) -> MarketingPace:
    """On pace when delivered ≥ commitment × elapsed fraction of the period. A period partly
    before tracking began (`tracked` of it seen) commits only that share, and `elapsed` counts
    only the tracked time gone; both round up."""
    if not 0 <= elapsed <= 1:
        raise ValueError("the elapsed fraction of a month lies between 0 and 1")
    return MarketingPace(
        delivered=delivered,
        committed=math.ceil(committed * tracked),
        expected=math.ceil(committed * elapsed),
    )


@dataclass(frozen=True)
class SalesCounts:
    """Counts for one rep, or summed for a team: what compliance is computed from."""

    in_window: int = 0  # leads in work whose SLA window is still running
    overdue_in_window: int = 0
    overdue: int = 0  # in work and behind cadence, window running or not
    breaches: int = 0  # windows that ended this month short of K touches

    def __add__(self, other: SalesCounts) -> SalesCounts:
        return SalesCounts(
            in_window=self.in_window + other.in_window,
            overdue_in_window=self.overdue_in_window + other.overdue_in_window,
            overdue=self.overdue + other.overdue,
            breaches=self.breaches + other.breaches,
        )

    @property
    def compliance(self) -> Fraction | None:
        """Share of leads in their window that are on cadence; None when there are none."""
        if self.in_window == 0:
            return None
        return Fraction(self.in_window - self.overdue_in_window, self.in_window)


def team_total(counts: Iterable[SalesCounts]) -> SalesCounts:
    return sum(counts, SalesCounts())


def median_duration(durations: Iterable[timedelta]) -> timedelta | None:
    """The median, or None for none; whole seconds (a first touch is not timed finer)."""
    seconds = [duration.total_seconds() for duration in durations]
    if not seconds:
        return None
    return timedelta(seconds=round(statistics.median(seconds)))


@dataclass(frozen=True)
class OverdueLead:
    external_id: str
    name: str | None
    company: str | None
    grade: str
    owner_id: str
    touches: int
    overdue_since: datetime


@dataclass(frozen=True)
class GoalStanding:
    """One goal's part of marketing's commitment, and how it stands in the period."""

    dimension: str  # source, persona, team
    name: str
    pace: MarketingPace


@dataclass(frozen=True)
class MarketingSide:
    sla: MarketingSla
    reps: int
    pace: MarketingPace
    period: ReportPeriod
    accepted: int
    rejected: int
    goals: Sequence[GoalStanding] = ()
    unassigned: int = 0  # the period's commitment no goal claims

    @property
    def acceptance_rate(self) -> Fraction | None:
        judged = self.accepted + self.rejected
        return Fraction(self.accepted, judged) if judged else None


@dataclass(frozen=True)
class SalesSide:
    sla: SalesSla
    owners: list[str] | None  # None: everyone
    total: SalesCounts
    per_rep: list[tuple[str, SalesCounts]]  # most overdue first
    overdue: list[OverdueLead]  # the longest overdue, at most the limit asked for
    median_first_touch: timedelta | None
    median_first_touch_sales_ready: timedelta | None = None  # speed to lead, apart
    # A past period: the projection knows only the present, so compliance and overdue leads
    # at its end come from the digest or report taken then (None: none was taken).
    at_end: PastState | None = None
    # One rep's report now: their leads whose next touch is coming, soonest first.
    due: Sequence[Lead] = ()
    due_total: int = 0


@dataclass(frozen=True)
class PastState:
    """Compliance and overdue leads at the end of a past period, as its digest recorded them."""

    compliance: Fraction | None  # company-wide; None where it covered no lead in a window
    overdue: int  # for the reps asked about


@dataclass(frozen=True)
class SlaReport:
    now: datetime
    period: ReportPeriod
    marketing: MarketingSide | None
    sales: SalesSide | None
