"""The figures behind the weekly digest and the monthly report, counted from the lead projection.

`period_figures` gathers, for one period [start, end), what the existing queries already count
(storage/reports.py for the closed loop, storage/sla_counts.py for the sales side), so the
digest says what `/sla-status` and the reports say. Like them it reads only the `lead` table,
each query bounded by an indexed time column of the period or by the leads in work, never the
event log.

Which period a lead falls in depends on the figure (see storage/reports.py): leads, sales-ready,
duplicates and incomplete by `created_at`; won, revenue and rejected by `closed_at` (a lead
created in week 1 and won in week 2 is week 2's win); accepted by `accepted_at`; breaches by
`window_ends_at`; the first-touch time by `assigned_at`. Compliance and overdue leads are no
counts over the period but the state at `now`, the moment the digest is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction

from sqlalchemy import func, select
from sqlmodel import Session, col

from domain.cadence import SalesSla
from domain.closed_loop import Group
from domain.digest import Breakdown, PeriodFigures
from domain.grading import Grade
from domain.sla import team_total
from storage import leads, reports, sla_counts
from storage.models import Lead

# The row of a breakdown for the leads that came without a source, campaign or persona.
NO_VALUE = "(none)"
# Rejection reasons kept for a period: the view shows the first five, a snapshot keeps more so
# next period's comparison still finds a reason that climbs into the five.
TOP_REJECTION_REASONS = 20


def period_figures(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime | None,
    sales_sla: SalesSla,
    marketing_committed: int,
) -> PeriodFigures:
    """What [start, end) produced, with compliance and overdue leads as they stand at `now`;
    with `now` None those are not measured (`point_in_time` False): a past period's state is
    not in the projection, and its digest's snapshot stands in for it.

    `leads_created` and each breakdown row's `leads` leave duplicates out (they are not new
    people, as in the funnel), so the rows add up to the total the digest shows beside them;
    `duplicates` says how many came again.
    """
    if end < start:
        raise ValueError("a period ends after it starts")
    report = reports.period_report(session, start=start, end=end, top_reasons=TOP_REJECTION_REASONS)
    total = report.total
    # Breaches over the period come from `breaches_between`; an empty month range spares
    # `sales_counts` a breach query whose answer nothing here would use.
    counts = (
        sla_counts.sales_counts(session, owners=None, now=now, sla=sales_sla, month_start=now)
        if now is not None
        else {}
    )
    return PeriodFigures(
        workspace_leads=workspace_leads(session),
        revenue_won=Fraction(total.revenue),
        customers_won=total.won,
        leads_created=reports.leads_created(session, start=start, end=end),
        # The breakdown counts sales-ready by the rule of `sla_counts.sales_ready_delivered`:
        # graded sales-ready, created in the period, not a duplicate.
        sales_ready_delivered=total.sales_ready,
        marketing_committed=marketing_committed,
        by_source=_breakdowns(report.by_source),
        by_campaign=_breakdowns(report.by_campaign),
        by_persona=_breakdowns(report.by_persona),
        compliance=team_total(counts.values()).compliance if now is not None else None,
        overdue_by_rep={
            rep_id: rep.overdue for rep_id, rep in sorted(counts.items()) if rep.overdue > 0
        },
        breaches=sla_counts.breaches_between(session, start=start, end=end),
        median_first_touch=sla_counts.median_first_touch(
            session, owners=None, start=start, end=end
        ),
        # Accepted as the breakdown counts it, so the rows add up to it: leads whose (latest)
        # acceptance falls in the period, whatever became of them after.
        accepted=total.accepted,
        rejected=total.rejected,
        rejection_reasons={reason.reason: reason.count for reason in report.rejection_reasons},
        duplicates=total.duplicates,
        incomplete=total.incomplete,
        unassigned=leads.unassigned_count(session) if now is not None else 0,
        point_in_time=now is not None,
    )


def workspace_leads(session: Session) -> int:
    """Every lead the workspace has: one `count(*)` of the lead table per digest, counted by
    the database (SQLite walks its smallest index), no row brought into Python. The digest
    needs it to tell an empty workspace, which gets set-up advice, from a quiet week."""
    return int(session.execute(select(func.count()).select_from(Lead)).scalar_one())


def sales_ready_by_day(
    session: Session, *, start: datetime, end: datetime, tz: tzinfo
) -> dict[date, int]:
    """Sales-ready, non-duplicate leads created in [start, end), per calendar day in `tz`.

    Every day from the one `start` falls on to the one holding the period's last instant is a
    key, in order, 0 where none came. Days are counted in `tz` from each UTC moment, so a
    change of clocks gives its day 23 or 25 hours and a lead at 23:30 stays on its own day.
    Reads `created_at` alone, through `ix_lead_grade_created` (grade, created_at, duplicate_of).
    """
    if end < start:
        raise ValueError("a period ends after it starts")
    days: dict[date, int] = {}
    if end == start:
        return days
    # Stored times have microseconds at the finest: the last instant before `end`.
    day, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    while day <= last:
        days[day] = 0
        day += timedelta(days=1)
    created = session.execute(
        select(col(Lead.created_at)).where(
            col(Lead.grade) == Grade.SALES_READY.value,
            col(Lead.created_at) >= start,
            col(Lead.created_at) < end,
            col(Lead.duplicate_of).is_(None),
        )
    ).scalars()
    for moment in created:
        days[moment.astimezone(tz).date()] += 1
    return days


def _breakdowns(groups: Sequence[Group]) -> tuple[Breakdown, ...]:
    """The report's rows as the digest's, without those that would read all zeros (a source
    whose only news is a lost lead: the digest has no column for lost)."""
    rows = [
        Breakdown(
            name=group.key if group.key is not None else NO_VALUE,
            leads=group.figures.leads - group.figures.duplicates,
            sales_ready=group.figures.sales_ready,
            accepted=group.figures.accepted,
            rejected=group.figures.rejected,
            won=group.figures.won,
            revenue=Fraction(group.figures.revenue),
        )
        for group in groups
    ]
    return tuple(row for row in rows if row != Breakdown(row.name))
