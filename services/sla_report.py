"""Both sides of the SLA for one audience and period, assembled once for `/sla-status` and
App Home: the present from the projection, a past period's state from the snapshot its digest
kept (DESIGN §2 "Periods and history"); never a scan of the event log."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain import schedule
from domain.grading import Grade
from domain.pace import ReportPeriod, Unit, report_period
from domain.sla import (
    GoalStanding,
    MarketingSide,
    PastState,
    SalesCounts,
    SalesSide,
    SlaReport,
    marketing_pace,
    team_total,
)
from services.context import Services
from storage import goals, leads, members, reports, schedules, workspace
from storage import sla_counts as queries

WEEKS_A_YEAR = 52


def period_of(
    session: Session, *, unit: Unit, now: datetime, tz: ZoneInfo, back: int = 0
) -> ReportPeriod:
    """The week or month asked about, with when tracking started (to mark it partial)."""
    return report_period(
        unit, now=now, tz=tz, back=back, tracked_from=reports.tracked_from(session, tz=tz)
    )


def build_report(
    session: Session,
    *,
    owners: list[str] | None,
    now: datetime,
    tz: ZoneInfo,
    period: ReportPeriod | None = None,
    marketing: bool = True,
    sales: bool = True,
    overdue_limit: int = 10,
    due_limit: int = 0,
) -> SlaReport:
    """`period` (this month by default, cut in the workspace's zone); `owners=None` means
    every rep."""
    if period is None:
        period = period_of(session, unit=Unit.MONTH, now=now, tz=tz)
    marketing_side = _marketing(session, period=period) if marketing else None
    sales_side = (
        _sales(
            session,
            owners=owners,
            period=period,
            tz=tz,
            overdue_limit=overdue_limit,
            due_limit=due_limit,
        )
        if sales
        else None
    )
    return SlaReport(now=period.taken_at, period=period, marketing=marketing_side, sales=sales_side)


def _whole_commitment(monthly: int, period: ReportPeriod) -> Fraction:
    """The period's commitment: a week's share of the monthly one is 12/52 of it (as the
    digest counts)."""
    return Fraction(monthly * 12, WEEKS_A_YEAR) if period.unit is Unit.WEEK else Fraction(monthly)


def _marketing(session: Session, *, period: ReportPeriod) -> MarketingSide:
    """Delivered against the commitment; a partial period commits, and expects by now, only
    for the part that was tracked."""
    commitment = workspace.marketing_sla(session)
    reps = reports.rep_count(session)
    span = period.span
    delivered = queries.sales_ready_delivered(session, start=span.start, end=span.end)
    accepted, rejected = queries.acceptance(session, start=span.start, end=span.end)
    whole = _whole_commitment(commitment.committed(reps=reps), period)
    rows = goals.all_goals(session)
    standings = [
        GoalStanding(
            dimension=goal.dimension,
            name=goal.name,
            pace=marketing_pace(
                delivered=count,
                committed=_whole_commitment(goal.per_month, period),
                elapsed=period.elapsed,
                tracked=period.tracked_share,
            ),
        )
        for goal, count in zip(
            rows, goals.delivered_each(session, rows, start=span.start, end=span.end), strict=True
        )
    ]
    pace = marketing_pace(
        delivered=delivered, committed=whole, elapsed=period.elapsed, tracked=period.tracked_share
    )
    claimed = sum(goal.pace.committed for goal in standings)
    return MarketingSide(
        sla=commitment,
        reps=reps,
        pace=pace,
        period=period,
        accepted=accepted,
        rejected=rejected,
        goals=standings,
        unassigned=max(pace.committed - claimed, 0),
    )


def _snapshot_key(period: ReportPeriod, tz: ZoneInfo) -> str:
    """The snapshot taken when the period ended: the digest (or report) of the period that
    follows it, posted at its start."""
    following = period.span.end.astimezone(tz).date()
    if period.unit is Unit.WEEK:
        return f"week:{schedule.iso_week(following)}"
    return f"month:{following:%Y-%m}"


def _at_end(
    session: Session, *, owners: list[str] | None, period: ReportPeriod, tz: ZoneInfo
) -> PastState | None:
    taken = schedules.snapshot(session, _snapshot_key(period, tz))
    if taken is None:
        return None
    by_rep = taken.overdue_by_rep
    overdue = sum(by_rep.get(owner, 0) for owner in owners) if owners else sum(by_rep.values())
    return PastState(compliance=taken.compliance if owners is None else None, overdue=overdue)


def _sales(
    session: Session,
    *,
    owners: list[str] | None,
    period: ReportPeriod,
    tz: ZoneInfo,
    overdue_limit: int,
    due_limit: int = 0,
) -> SalesSide:
    rules = workspace.sales_sla(session)
    span, now = period.span, period.taken_at
    if period.current:
        counts = queries.sales_counts(
            session, owners=owners, now=now, sla=rules, month_start=span.start
        )
        overdue = queries.overdue_leads(
            session, owners=owners, now=now, sla=rules, limit=overdue_limit
        )
    else:
        # The present counts (in window, overdue) say nothing of a past period: only its
        # breaches, which the projection dates by the window's end.
        counts = {
            owner: SalesCounts(breaches=breaches)
            for owner, breaches in queries.breaches_by_owner(
                session, owners=owners, start=span.start, end=span.end
            )
        }
        overdue = []
    if owners is not None:
        for owner in owners:
            counts.setdefault(owner, SalesCounts())
    per_rep = sorted(
        counts.items(), key=lambda item: (-item[1].overdue, -item[1].breaches, item[0])
    )
    due, due_total = (
        leads.due_leads_of(session, owner_id=owners[0], now=now, limit=due_limit)
        if due_limit and period.current and owners is not None and len(owners) == 1
        else ([], 0)
    )
    return SalesSide(
        due=due,
        due_total=due_total,
        sla=rules,
        owners=owners,
        total=team_total(counts.values()),
        per_rep=per_rep,
        overdue=overdue,
        median_first_touch=queries.median_first_touch(
            session, owners=owners, start=span.start, end=now
        ),
        median_first_touch_sales_ready=queries.median_first_touch(
            session, owners=owners, start=span.start, end=now, grade=Grade.SALES_READY
        ),
        at_end=None if period.current else _at_end(session, owners=owners, period=period, tz=tz),
    )


async def sla_report(
    services: Services,
    *,
    owners: list[str] | None,
    marketing: bool = True,
    sales: bool = True,
    overdue_limit: int,
    due_limit: int = 0,
    unit: Unit = Unit.MONTH,
    back: int = 0,
) -> SlaReport:
    """The report for this (or an earlier) week or month, as of the clock's now, cut in the
    workspace's time zone."""

    def read() -> SlaReport:
        with services.db.session() as session:
            now, tz = services.clock.now(), services.settings.timezone
            return build_report(
                session,
                owners=owners,
                now=now,
                tz=tz,
                period=period_of(session, unit=unit, now=now, tz=tz, back=back),
                marketing=marketing,
                sales=sales,
                overdue_limit=overdue_limit,
                due_limit=due_limit,
            )

    return await services.in_thread(read)


async def team_of(services: Services, manager_id: str) -> list[str]:
    """The reps who report to `manager_id`, by id."""

    def read() -> list[str]:
        with services.db.session() as session:
            return sorted(members.team_of(session, manager_id))

    return await services.in_thread(read)


async def is_marketer(services: Services, user_id: str) -> bool:
    def read() -> bool:
        with services.db.session() as session:
            return members.is_marketer(session, user_id)

    return await services.in_thread(read)


async def formed_team(services: Services, user_id: str) -> tuple[members.TeamOf, list[str]] | None:
    """The team `user_id` belongs to (`/smarketing team`) and its reps, if any."""

    def read() -> tuple[members.TeamOf, list[str]] | None:
        with services.db.session() as session:
            return members.team_reps(session, user_id)

    return await services.in_thread(read)
