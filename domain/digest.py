"""The weekly Smarketing digest and the monthly management report as plain data: a period's
figures, each paired with its change against the previous period, and the actions they imply
(DESIGN §1.5, §3).

Pure: the figures come in already counted (storage does that), the period is passed in, and
nothing here reads a clock, a database or Slack. The view (blocks/digest_message.py) only renders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

from domain.funnel import Funnel
from domain.pace import FunnelActuals
from domain.sla import GoalStanding

# Thresholds for the actions, named so a reader can find and argue with them.
OVERDUE_REPS_IN_ACTIONS = 3  # the reps with the most overdue leads that an action names
REJECTED_SHARE_TO_FLAG = Fraction(1, 2)  # a campaign whose judged leads sales rejects this much
REJECTED_MIN_JUDGED = 5  # … out of at least this many accepted + rejected, so one lead is no trend
REJECTED_CAMPAIGNS_IN_ACTIONS = 3
COMPLIANCE_TO_FLAG = Fraction(80, 100)  # sales compliance below this calls for an action
INCOMPLETE_SHARE_TO_FLAG = Fraction(1, 5)  # incomplete leads at or above this share of new ones

T = TypeVar("T", int, Fraction, timedelta)


class Cadence(StrEnum):
    """How often a digest is built: weekly for the Smarketing meeting, monthly for management."""

    WEEK = "week"
    MONTH = "month"


class Direction(StrEnum):
    UP = "▲"
    DOWN = "▼"
    SAME = "="


@dataclass(frozen=True)
class Change(Generic[T]):
    """A figure this period and the previous one: `previous` is None in the first period
    (nothing to compare with), `value` is None where the figure is undefined (compliance with
    no lead in its window)."""

    value: T | None
    previous: T | None
    up_is_good: bool = True

    @property
    def delta(self) -> T | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def direction(self) -> Direction | None:
        if self.value is None or self.previous is None:
            return None
        if self.value > self.previous:
            return Direction.UP
        if self.value < self.previous:
            return Direction.DOWN
        return Direction.SAME

    @property
    def good(self) -> bool | None:
        """True for a change for the better, False for the worse, None if unchanged or unknown."""
        direction = self.direction
        if direction is None or direction is Direction.SAME:
            return None
        return (direction is Direction.UP) == self.up_is_good


@dataclass(frozen=True)
class Breakdown:
    """One source, campaign or persona in one period."""

    name: str
    leads: int = 0
    sales_ready: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    revenue: Fraction = Fraction(0)


@dataclass(frozen=True)
class PeriodFigures:
    """What one period (a week, a month) produced, counted by storage for [start, end).

    `compliance` and `overdue_by_rep` are not counts over the period but the state at its end;
    the projection keeps only the present, so last period's come from a snapshot taken when its
    digest was built. `point_in_time` is False when there was none: they are then not compared.
    """

    workspace_leads: int  # every lead the workspace has ever had: 0 means nothing set up yet
    revenue_won: Fraction = Fraction(0)
    customers_won: int = 0
    leads_created: int = 0
    sales_ready_delivered: int = 0  # sales-ready, non-duplicate leads created in the week
    marketing_committed: int = 0  # marketing's commitment for the week
    by_source: Sequence[Breakdown] = ()
    by_campaign: Sequence[Breakdown] = ()
    by_persona: Sequence[Breakdown] = ()
    compliance: Fraction | None = None  # None: no lead in its SLA window
    overdue_by_rep: Mapping[str, int] = field(default_factory=dict)  # rep id → overdue leads
    breaches: int = 0
    median_first_touch: timedelta | None = None
    accepted: int = 0
    rejected: int = 0
    rejection_reasons: Mapping[str, int] = field(default_factory=dict)  # reason → leads
    duplicates: int = 0
    incomplete: int = 0
    unassigned: int = 0  # leads in work no rep owns, as they stand at the period's end
    point_in_time: bool = True

    @property
    def overdue(self) -> int:
        return sum(self.overdue_by_rep.values())


@dataclass(frozen=True)
class PeriodGoal:
    """What the revenue target needs in one week or one month, each rounded up but revenue."""

    revenue: Fraction
    customers: int
    leads: int


def period_goal(funnel: Funnel, cadence: Cadence) -> PeriodGoal:
    """The target's share for one period: a year is 12 months and 52 weeks (funnel.Period)."""
    if cadence is Cadence.MONTH:
        months = funnel.period.months
        return PeriodGoal(
            revenue=funnel.revenue / months,
            customers=math.ceil(Fraction(funnel.customers_needed, months)),
            leads=funnel.leads_per_month,
        )
    weeks = funnel.period.weeks
    return PeriodGoal(
        revenue=funnel.revenue / weeks,
        customers=math.ceil(funnel.customers_needed / weeks),
        leads=funnel.leads_per_week,
    )


@dataclass(frozen=True)
class BreakdownChange:
    """A source, campaign or persona this period, each figure against the same name in the
    previous period."""

    name: str
    leads: Change[int]
    sales_ready: Change[int]
    accepted: Change[int]
    rejected: Change[int]
    won: Change[int]
    revenue: Change[Fraction]

    @property
    def judged(self) -> int:
        return (self.accepted.value or 0) + (self.rejected.value or 0)

    @property
    def rejected_share(self) -> Fraction | None:
        judged = self.judged
        return Fraction(self.rejected.value or 0, judged) if judged else None


@dataclass(frozen=True)
class RepOverdue:
    rep_id: str
    overdue: Change[int]


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    leads: int


class ActionKind(StrEnum):
    """What the digest asks someone to do, in the order it asks."""

    MARKETING_BEHIND = "marketing_behind"  # fewer sales-ready leads than committed
    LEADS_BELOW_FUNNEL = "leads_below_funnel"  # fewer leads than the revenue target needs
    REP_OVERDUE = "rep_overdue"  # a rep among those with the most overdue leads
    UNASSIGNED_LEADS = "unassigned_leads"  # leads in work that no rep owns
    LOW_COMPLIANCE = "low_compliance"
    CAMPAIGN_REJECTED = "campaign_rejected"  # sales rejects most of a campaign's leads
    INCOMPLETE_LEADS = "incomplete_leads"  # many new leads lack fit or interest


@dataclass(frozen=True)
class Action:
    """`value` of `target` about `subject`: e.g. 40 of 60 sales-ready delivered; rep U1 with 7
    overdue; campaign "Webinar" with 6 rejected of 8 judged."""

    kind: ActionKind
    value: int
    target: int = 0
    subject: str = ""


@dataclass(frozen=True)
class RepActivity:
    """What one rep (or a team, summed) did in a period: leads assigned, touches logged,
    leads accepted, leads won and their revenue."""

    who: str  # a rep's user id, or a team's name
    assigned: int = 0
    touches: int = 0
    accepted: int = 0
    won: int = 0
    revenue: Decimal = Decimal(0)

    def __add__(self, other: RepActivity) -> RepActivity:
        return RepActivity(
            self.who,
            self.assigned + other.assigned,
            self.touches + other.touches,
            self.accepted + other.accepted,
            self.won + other.won,
            self.revenue + other.revenue,
        )


@dataclass(frozen=True)
class Digest:
    """One period's digest: a week's for the Smarketing meeting, a month's for management.

    `start` and `end` bound the period [start, end) in the workspace's time zone; the view
    names the week or the month from `start` as given.
    """

    cadence: Cadence
    start: datetime
    end: datetime
    empty: bool  # the workspace has no leads at all: the view says what to set up instead
    first_period: bool  # no previous period: no change arrows
    goal: PeriodGoal | None  # None until a revenue target is set
    revenue_won: Change[Fraction]
    customers_won: Change[int]
    leads_created: Change[int]
    sales_ready_delivered: Change[int]
    marketing_committed: Change[int]
    by_source: list[BreakdownChange]
    by_campaign: list[BreakdownChange]
    by_persona: list[BreakdownChange]
    compliance: Change[Fraction]
    overdue: Change[int]
    overdue_by_rep: list[RepOverdue]  # most overdue first; reps with none left out
    breaches: Change[int]
    median_first_touch: Change[timedelta]
    accepted: Change[int]
    rejected: Change[int]
    rejection_reasons: list[ReasonCount]  # most frequent first
    duplicates: Change[int]
    incomplete: Change[int]
    actions: list[Action]
    unassigned: int = 0  # leads in work no rep owns, now
    # Where the goal's deal size and rate came from (None: no goal).
    actuals: FunnelActuals | None = None
    # Tracking began inside the previous period (or this one): comparisons say so.
    tracked_from: datetime | None = None
    rep_names: Mapping[str, str] = field(default_factory=dict)  # for plain text: @name
    previous_start: datetime | None = None  # where the period compared with began
    goals: Sequence[GoalStanding] = ()  # marketing's goals by source, persona and team
    # The monthly report's sales activity: per rep, and per team (`/smarketing team`).
    activity: Sequence[RepActivity] = ()
    team_activity: Sequence[RepActivity] = ()

    @property
    def previous_partial(self) -> bool:
        start = self.previous_start or self.start - (self.end - self.start)
        return self.tracked_from is not None and self.tracked_from > start

    @property
    def partial(self) -> bool:
        return self.tracked_from is not None and self.tracked_from > self.start

    @property
    def marketing_behind_by(self) -> int:
        return max(
            (self.marketing_committed.value or 0) - (self.sales_ready_delivered.value or 0), 0
        )


def build_digest(
    *,
    this_period: PeriodFigures,
    last_period: PeriodFigures | None,
    goal: Funnel | None,
    start: datetime,
    end: datetime,
    cadence: Cadence = Cadence.WEEK,
    actuals: FunnelActuals | None = None,
    tracked_from: datetime | None = None,
    rep_names: Mapping[str, str] | None = None,
    previous_start: datetime | None = None,
    goals: Sequence[GoalStanding] = (),
    activity: Sequence[RepActivity] = (),
    team_activity: Sequence[RepActivity] = (),
) -> Digest:
    """Pair every figure with the previous period's, order the tables, and choose the actions.

    `goal` is the revenue target's funnel; the digest keeps its share for one `cadence` period.
    """
    if end <= start:
        raise ValueError("a digest's period ends after it starts")
    this = this_period
    last = last_period
    # Last period's state at its end, when it is known (see PeriodFigures).
    then = last if last is not None and last.point_in_time else None

    def change(name: str, *, up_is_good: bool = True) -> Change[int]:
        return Change(getattr(this, name), getattr(last, name) if last else None, up_is_good)

    overdue_by_rep = [
        RepOverdue(
            rep_id,
            Change(count, then.overdue_by_rep.get(rep_id, 0) if then else None, up_is_good=False),
        )
        for rep_id, count in this.overdue_by_rep.items()
        if count > 0
    ]
    overdue_by_rep.sort(key=lambda rep: (-(rep.overdue.value or 0), rep.rep_id))
    reasons = [ReasonCount(reason, n) for reason, n in this.rejection_reasons.items() if n > 0]
    reasons.sort(key=lambda item: (-item.leads, item.reason))
    by_campaign = _breakdowns(this.by_campaign, last.by_campaign if last else None)
    digest = Digest(
        cadence=cadence,
        start=start,
        end=end,
        empty=this.workspace_leads == 0,
        first_period=last is None,
        goal=period_goal(goal, cadence) if goal is not None else None,
        revenue_won=Change(this.revenue_won, last.revenue_won if last else None),
        customers_won=change("customers_won"),
        leads_created=change("leads_created"),
        sales_ready_delivered=change("sales_ready_delivered"),
        marketing_committed=change("marketing_committed"),
        by_source=_breakdowns(this.by_source, last.by_source if last else None),
        by_campaign=by_campaign,
        by_persona=_breakdowns(this.by_persona, last.by_persona if last else None),
        compliance=Change(this.compliance, then.compliance if then else None),
        overdue=Change(this.overdue, then.overdue if then else None, up_is_good=False),
        overdue_by_rep=overdue_by_rep,
        breaches=change("breaches", up_is_good=False),
        median_first_touch=Change(
            this.median_first_touch,
            last.median_first_touch if last else None,
            up_is_good=False,  # a longer wait for the first call is worse
        ),
        accepted=change("accepted"),
        rejected=change("rejected", up_is_good=False),
        rejection_reasons=reasons,
        duplicates=change("duplicates", up_is_good=False),
        incomplete=change("incomplete", up_is_good=False),
        actions=[],
        unassigned=this.unassigned,
        actuals=actuals,
        tracked_from=tracked_from,
        rep_names=dict(rep_names or {}),
        previous_start=previous_start,
        goals=tuple(goals),
        activity=tuple(activity),
        team_activity=tuple(team_activity),
    )
    if digest.empty:
        return digest
    return _with_actions(digest, this)


def _breakdowns(
    rows: Sequence[Breakdown], previous: Sequence[Breakdown] | None
) -> list[BreakdownChange]:
    """Each row against the same name in the previous period (0 when it had none); most
    revenue first, then most sales-ready, most leads, and by name so equal rows keep one order."""
    before = {row.name: row for row in previous} if previous is not None else None
    result = []
    for row in rows:
        old = None if before is None else before.get(row.name, Breakdown(row.name))
        result.append(
            BreakdownChange(
                name=row.name,
                leads=Change(row.leads, old.leads if old else None),
                sales_ready=Change(row.sales_ready, old.sales_ready if old else None),
                accepted=Change(row.accepted, old.accepted if old else None),
                rejected=Change(row.rejected, old.rejected if old else None, up_is_good=False),
                won=Change(row.won, old.won if old else None),
                revenue=Change(row.revenue, old.revenue if old else None),
            )
        )
    result.sort(
        key=lambda r: (
            -(r.revenue.value or 0),
            -(r.sales_ready.value or 0),
            -(r.leads.value or 0),
            r.name,
        )
    )
    return result


def _with_actions(digest: Digest, period: PeriodFigures) -> Digest:
    actions: list[Action] = []
    delivered, committed = period.sales_ready_delivered, period.marketing_committed
    if delivered < committed:
        actions.append(Action(ActionKind.MARKETING_BEHIND, delivered, committed))
    if digest.goal is not None and period.leads_created < digest.goal.leads:
        actions.append(
            Action(ActionKind.LEADS_BELOW_FUNNEL, period.leads_created, digest.goal.leads)
        )
    actions.extend(
        Action(ActionKind.REP_OVERDUE, rep.overdue.value or 0, subject=rep.rep_id)
        for rep in digest.overdue_by_rep[:OVERDUE_REPS_IN_ACTIONS]
    )
    if period.unassigned:
        actions.append(Action(ActionKind.UNASSIGNED_LEADS, period.unassigned))
    if period.compliance is not None and period.compliance < COMPLIANCE_TO_FLAG:
        # value/target in percent, rounded down: 79.9% is below an 80% floor and must not read 80
        percent = math.floor(period.compliance * 100)
        actions.append(Action(ActionKind.LOW_COMPLIANCE, percent, int(COMPLIANCE_TO_FLAG * 100)))
    rejected = [
        row
        for row in digest.by_campaign
        if row.judged >= REJECTED_MIN_JUDGED
        and (share := row.rejected_share) is not None
        and share >= REJECTED_SHARE_TO_FLAG
    ]
    rejected.sort(key=lambda r: (-(r.rejected_share or 0), -r.judged, r.name))
    actions.extend(
        Action(ActionKind.CAMPAIGN_REJECTED, row.rejected.value or 0, row.judged, row.name)
        for row in rejected[:REJECTED_CAMPAIGNS_IN_ACTIONS]
    )
    if period.leads_created and Fraction(period.incomplete, period.leads_created) >= (
        INCOMPLETE_SHARE_TO_FLAG
    ):
        actions.append(Action(ActionKind.INCOMPLETE_LEADS, period.incomplete, period.leads_created))
    return replace(digest, actions=actions)
