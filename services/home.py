"""One person's App Home as data: their own leads if they work any (or have no other role),
their team if they manage one, and marketing's side for an admin; and the SLA details modal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.home_summary import PERIODS, Channels, Home, MyLeads, Reason, Scope
from domain.pace import Unit
from domain.sla import MarketingSide, SalesSide
from services import hubspot_sync
from services.context import Services
from services.people import RightsUnknown, is_admin
from services.posting_status import posting_overview
from services.sla_report import build_report, period_of
from storage import follow_up_records, leads, members, reports

logger = logging.getLogger("smarketing.home")
UNASSIGNED_SHOWN = 5  # the oldest leads without an owner on a manager's or admin's Home
AWAITING_SHOWN = 5  # the sales-ready leads waiting longest for sales' verdict


async def _admin(services: Services, user_id: str) -> bool:
    """Whether to show the marketing side; when Slack cannot say, it is not shown (never
    granted on doubt), and the rest of the Home still is."""
    try:
        return await is_admin(services, user_id)
    except RightsUnknown as error:
        logger.warning(
            "users.info failed for %s (%s): Home shown without admin part", user_id, error
        )
        return False


def _my_leads(
    session: Session, *, user_id: str, now: datetime, tz: ZoneInfo, limit: int
) -> MyLeads:
    own = build_report(
        session, owners=[user_id], now=now, tz=tz, marketing=False, overdue_limit=limit
    )
    assert own.sales is not None
    due, due_total = leads.due_leads_of(session, owner_id=user_id, now=now, limit=limit)
    ended = leads.needs_outcome_of(
        session, owner_id=user_id, now=now, sla=own.sales.sla, limit=limit
    )
    return MyLeads(
        sales=own.sales,
        due=due,
        due_total=due_total,
        needs_outcome=ended.shown,
        needs_outcome_total=ended.total,
    )


def _works_leads(mine: MyLeads) -> bool:
    counts = mine.sales.total
    return bool(
        mine.due or mine.needs_outcome or counts.in_window or counts.overdue or counts.breaches
    )


def _team(
    session: Session, *, team: list[str], now: datetime, tz: ZoneInfo, limit: int
) -> SalesSide:
    """The sales side for a list of reps: a manager's team, or one rep alone."""
    report = build_report(
        session, owners=team, now=now, tz=tz, marketing=False, overdue_limit=limit
    )
    assert report.sales is not None
    return report.sales


def _marketing(
    session: Session, *, now: datetime, tz: ZoneInfo, period: str
) -> tuple[MarketingSide, Channels]:
    """Marketing's side of the SLA for the period chosen, its leads by campaign, source and
    persona, why sales rejected or recycled leads, and the leads waiting for sales' verdict."""
    unit, _, back = period.partition(":")
    chosen = period_of(session, unit=Unit(unit), now=now, tz=tz, back=int(back))
    report = build_report(session, owners=None, now=now, tz=tz, period=chosen, sales=False)
    assert report.marketing is not None
    span = chosen.span
    by = {
        dimension: reports.breakdown(session, dimension=dimension, start=span.start, end=span.end)
        for dimension in reports.Dimension
    }
    awaiting, awaiting_total = reports.awaiting_acceptance(session, limit=AWAITING_SHOWN)
    return report.marketing, Channels(
        period=chosen,
        chosen=period,
        by_campaign=by[reports.Dimension.CAMPAIGN],
        by_source=by[reports.Dimension.SOURCE],
        by_persona=by[reports.Dimension.PERSONA],
        rejected=[
            Reason(row.reason, row.count)
            for row in reports.rejection_reasons(session, start=span.start, end=span.end)
        ],
        recycled=[
            Reason(row.reason, row.count)
            for row in reports.recycle_reasons(session, start=span.start, end=span.end)
        ],
        awaiting=awaiting,
        awaiting_total=awaiting_total,
    )


async def gather_home(
    services: Services,
    user_id: str,
    *,
    notice: str | None = None,
    limit: int,
    period: str = PERIODS[0],
    admin: bool | None = None,
) -> Home:
    """Everything one person's Home shows, read in one session: their own leads if they work
    any (or have no other role), their team if they manage one, marketing's board (for the
    `period` chosen, `unit:back`) for marketing and admins, and for an admin, a digest or
    report Slack refused for good. `admin` None asks Slack."""
    if admin is None:
        admin = await _admin(services, user_id)
    if period not in PERIODS:
        period = PERIODS[0]
    now = services.clock.now()
    tz = services.settings.timezone

    def read() -> Home:
        with services.db.session() as session:
            team = members.team_of(session, user_id)
            team_title = None
            formed = None if team else members.team_reps(session, user_id)
            if formed is not None:  # no reps of their own: the team they were put in
                team, team_title = formed[1], f"Team {formed[0].name}"
            marketer = members.is_marketer(session, user_id)
            queue = (
                leads.unassigned_leads(session, limit=UNASSIGNED_SHOWN)
                if (team and team_title is None) or admin
                else None
            )
            mine = _my_leads(session, user_id=user_id, now=now, tz=tz, limit=limit)
            marketing, channels = (
                _marketing(session, now=now, tz=tz, period=period)
                if admin or marketer
                else (None, None)
            )
            problems = posting_overview(session, services.settings).problems if admin else []
            unreachable = (
                [m.slack_user_id for m in follow_up_records.unreachable_reps(session, limit=20)]
                if admin
                else []
            )
            return Home(
                now=now,
                mine=mine if _works_leads(mine) or not (team or admin or marketer) else None,
                marketing_first=marketer and not team,
                team=_team(session, team=team, now=now, tz=tz, limit=limit) if team else None,
                team_title=team_title,
                marketing=marketing,
                channels=channels,
                notice=notice,
                posting_problems=problems,
                unreachable_rep_ids=unreachable,
                unassigned=queue.shown if queue else (),
                unassigned_total=queue.total if queue else 0,
                hubspot_trouble=(
                    hubspot_sync.trouble(session)
                    if admin and services.settings.hubspot_on
                    else None
                ),
            )

    return await services.in_thread(read)


@dataclass(frozen=True)
class SlaDetails:
    scope: Scope
    now: datetime
    sales: SalesSide | None = None
    marketing: MarketingSide | None = None


async def sla_details(services: Services, *, user_id: str, scope: Scope, limit: int) -> SlaDetails:
    """The `/sla-status` figures for one scope; someone who manages nobody (any more) gets
    their own figures, never everyone's."""
    now = services.clock.now()
    tz = services.settings.timezone

    def read() -> SlaDetails:
        with services.db.session() as session:
            if scope == "marketing":
                report = build_report(session, owners=None, now=now, tz=tz, sales=False)
                return SlaDetails(scope, now, marketing=report.marketing)
            team = members.team_of(session, user_id) if scope == "team" else []
            sales = _team(session, team=team or [user_id], now=now, tz=tz, limit=limit)
            return SlaDetails("team" if team else "me", now, sales=sales)

    return await services.in_thread(read)
