"""Both sides of the SLA for one audience, assembled once for `/sla-status` and App Home."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.funnel import Period
from domain.grading import Grade
from domain.pace import Span, current_period, elapsed_fraction
from domain.sla import (
    MarketingSide,
    SalesCounts,
    SalesSide,
    SlaReport,
    marketing_pace,
    team_total,
)
from services.context import Services
from storage import members, reports, workspace
from storage import sla_counts as queries


def build_report(
    session: Session,
    *,
    owners: list[str] | None,
    now: datetime,
    tz: ZoneInfo,
    marketing: bool = True,
    sales: bool = True,
    overdue_limit: int = 10,
) -> SlaReport:
    """The month so far in the workspace's time zone; `owners=None` means every rep."""
    month = current_period(Period.MONTH, now=now, tz=tz)
    marketing_side = _marketing(session, now=now, month=month) if marketing else None
    sales_side = (
        _sales(session, owners=owners, now=now, month=month, overdue_limit=overdue_limit)
        if sales
        else None
    )
    return SlaReport(now=now, month=month, marketing=marketing_side, sales=sales_side)


def _marketing(session: Session, *, now: datetime, month: Span) -> MarketingSide:
    commitment = workspace.marketing_sla(session)
    reps = reports.rep_count(session)
    delivered = queries.sales_ready_delivered(session, start=month.start, end=month.end)
    accepted, rejected = queries.acceptance(session, start=month.start, end=month.end)
    return MarketingSide(
        sla=commitment,
        reps=reps,
        pace=marketing_pace(
            delivered=delivered,
            committed=commitment.committed(reps=reps),
            elapsed=elapsed_fraction(month, now=now),
        ),
        month=month,
        accepted=accepted,
        rejected=rejected,
    )


def _sales(
    session: Session,
    *,
    owners: list[str] | None,
    now: datetime,
    month: Span,
    overdue_limit: int,
) -> SalesSide:
    rules = workspace.sales_sla(session)
    counts = queries.sales_counts(
        session, owners=owners, now=now, sla=rules, month_start=month.start
    )
    if owners is not None:
        for owner in owners:
            counts.setdefault(owner, SalesCounts())
    per_rep = sorted(
        counts.items(), key=lambda item: (-item[1].overdue, -item[1].breaches, item[0])
    )
    return SalesSide(
        sla=rules,
        owners=owners,
        total=team_total(counts.values()),
        per_rep=per_rep,
        overdue=queries.overdue_leads(
            session, owners=owners, now=now, sla=rules, limit=overdue_limit
        ),
        median_first_touch=queries.median_first_touch(
            session, owners=owners, start=month.start, end=now
        ),
        median_first_touch_sales_ready=queries.median_first_touch(
            session, owners=owners, start=month.start, end=now, grade=Grade.SALES_READY
        ),
    )


async def sla_report(
    services: Services,
    *,
    owners: list[str] | None,
    marketing: bool = True,
    sales: bool = True,
    overdue_limit: int,
) -> SlaReport:
    """The report as of the clock's now, the month cut in the workspace's time zone."""

    def read() -> SlaReport:
        with services.db.session() as session:
            return build_report(
                session,
                owners=owners,
                now=services.clock.now(),
                tz=services.settings.timezone,
                marketing=marketing,
                sales=sales,
                overdue_limit=overdue_limit,
            )

    return await services.in_thread(read)


async def team_of(services: Services, manager_id: str) -> list[str]:
    """The reps who report to `manager_id`, by id."""

    def read() -> list[str]:
        with services.db.session() as session:
            return sorted(members.team_of(session, manager_id))

    return await services.in_thread(read)
