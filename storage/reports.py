"""Closed-loop reports and funnel history as queries on the lead projection (DESIGN §1.4, §2).

Every query reads the `lead` table only, never the event log, and is bounded by a WHERE on
indexed columns, so its cost follows the leads in the period asked about:
- lead counts (leads, sales-ready, duplicates, incomplete) count leads *created* in the period
  (`ix_lead_created_at`);
- rejected, won, lost and revenue count leads *closed* that way in the period, on `closed_at`
  (`ix_lead_status_closed`): a lead created in October and won in November is November's win;
- accepted counts leads *accepted* in the period, on `accepted_at` (see `_accepted`).
Each figure comes in total and broken down by source, campaign and persona.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, union_all
from sqlmodel import Session, col

from domain.closed_loop import Figures, Group
from domain.digest import RepActivity
from domain.grading import Grade, LeadStatus
from domain.pace import tracking_start
from storage import workspace
from storage.models import Lead, LeadEvent

CLOSED = (LeadStatus.REJECTED.value, LeadStatus.WON.value, LeadStatus.LOST.value)
IN_WORK = (LeadStatus.OPEN.value, LeadStatus.ACCEPTED.value)
CENTS = Decimal("0.01")


class Dimension(StrEnum):
    """What a report is broken down by: the lead's column of the same name."""

    SOURCE = "source"
    CAMPAIGN = "campaign"
    PERSONA = "persona"

    @property
    def column(self) -> Any:
        return getattr(Lead, self.value)


@dataclass(frozen=True)
class ReasonCount:
    reason: str  # lower-cased, so "Budget" and "budget" are one reason
    count: int


@dataclass(frozen=True)
class Report:
    """A period's closed-loop report: totals, breakdowns, the commonest rejection reasons."""

    start: datetime
    end: datetime
    total: Figures
    by_source: list[Group]
    by_campaign: list[Group]
    by_persona: list[Group]
    rejection_reasons: list[ReasonCount] = field(default_factory=list)

    def by(self, dimension: Dimension) -> list[Group]:
        return {
            Dimension.SOURCE: self.by_source,
            Dimension.CAMPAIGN: self.by_campaign,
            Dimension.PERSONA: self.by_persona,
        }[dimension]


def period_report(
    session: Session, *, start: datetime, end: datetime, top_reasons: int = 5
) -> Report:
    """The closed-loop report for [start, end); breakdowns sorted by revenue, then leads."""
    breakdowns = {
        dimension: breakdown(session, dimension=dimension, start=start, end=end)
        for dimension in Dimension
    }
    total = sum((group.figures for group in breakdowns[Dimension.SOURCE]), Figures())
    return Report(
        start=start,
        end=end,
        total=total,
        by_source=breakdowns[Dimension.SOURCE],
        by_campaign=breakdowns[Dimension.CAMPAIGN],
        by_persona=breakdowns[Dimension.PERSONA],
        rejection_reasons=rejection_reasons(session, start=start, end=end, limit=top_reasons),
    )


def breakdown(
    session: Session, *, dimension: Dimension, start: datetime, end: datetime
) -> list[Group]:
    """Figures per value of `dimension`: three grouped queries (created, closed, accepted)."""
    key = dimension.column
    figures: dict[str | None, Figures] = defaultdict(Figures)

    is_sales_ready = and_(
        col(Lead.grade) == Grade.SALES_READY.value, col(Lead.duplicate_of).is_(None)
    )
    created = (
        select(
            key,
            func.count(),
            _count_where(is_sales_ready),
            _count_where(col(Lead.duplicate_of).is_not(None)),
            _count_where(col(Lead.incomplete).is_(True)),
        )
        .where(_within(Lead.created_at, start, end))
        .group_by(key)
    )
    for value, leads, sales_ready, duplicates, incomplete in session.execute(created):
        figures[value] = replace(
            figures[value],
            leads=leads,
            sales_ready=int(sales_ready or 0),
            duplicates=int(duplicates or 0),
            incomplete=int(incomplete or 0),
        )

    closed = (
        select(key, col(Lead.status), func.count(), func.sum(Lead.won_amount))
        .where(col(Lead.status).in_(CLOSED), _within(Lead.closed_at, start, end))
        .group_by(key, col(Lead.status))
    )
    for value, status, count, amount in session.execute(closed):
        if status == LeadStatus.WON.value:
            figures[value] = replace(figures[value], won=count, revenue=_money(amount))
        elif status == LeadStatus.REJECTED.value:
            figures[value] = replace(figures[value], rejected=count)
        else:
            figures[value] = replace(figures[value], lost=count)

    accepted = _accepted(start, end, key).subquery()
    counted = select(accepted.c.key, func.count()).group_by(accepted.c.key)
    for value, count in session.execute(counted):
        figures[value] = replace(figures[value], accepted=count)

    return sorted(
        (Group(key=value, figures=row) for value, row in figures.items()),
        key=lambda group: (-group.figures.revenue, -group.figures.leads, group.key or "\uffff"),
    )


def _accepted(start: datetime, end: datetime, key: Any) -> Any:
    """Leads whose (latest) acceptance falls in [start, end), by `key`.

    `accepted_at` has no index of its own, but an accepted lead is either still `accepted`
    (closed_at empty), or was closed at or after it was accepted; so the two halves below each
    walk `ix_lead_status_closed`: the accepted leads in work, and the leads closed since `start`.
    """
    in_period = _within(Lead.accepted_at, start, end)
    still_accepted = select(key.label("key")).where(
        col(Lead.status) == LeadStatus.ACCEPTED.value, col(Lead.closed_at).is_(None), in_period
    )
    closed_since = select(key.label("key")).where(
        col(Lead.status).in_(CLOSED), col(Lead.closed_at) >= start, in_period
    )
    return union_all(still_accepted, closed_since)


def rejection_reasons(
    session: Session, *, start: datetime, end: datetime, limit: int = 5
) -> list[ReasonCount]:
    """The commonest reasons sales gave for leads rejected in [start, end), most first."""
    return _reasons(
        session,
        status=LeadStatus.REJECTED,
        column=Lead.reject_reason,
        start=start,
        end=end,
        limit=limit,
    )


def recycle_reasons(
    session: Session, *, start: datetime, end: datetime, limit: int = 5
) -> list[ReasonCount]:
    """The commonest reasons sales gave for leads handed back to marketing in [start, end)."""
    return _reasons(
        session,
        status=LeadStatus.RECYCLED,
        column=Lead.recycle_reason,
        start=start,
        end=end,
        limit=limit,
    )


def _reasons(
    session: Session,
    *,
    status: LeadStatus,
    column: Any,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[ReasonCount]:
    """Leads closed with `status` in [start, end) by reason, most first (ix_lead_status_closed)."""
    reason = func.lower(col(column))
    count = func.count()
    query = (
        select(reason, count)
        .where(col(Lead.status) == status.value, _within(Lead.closed_at, start, end))
        .group_by(reason)
        .order_by(count.desc(), reason)
        .limit(limit)
    )
    return [
        ReasonCount(reason=text if text is not None else "(no reason)", count=n)
        for text, n in session.execute(query)
    ]


def awaiting_acceptance(session: Session, *, limit: int) -> tuple[list[Lead], int]:
    """Sales-ready leads a rep owns that sales has neither accepted nor rejected yet, the
    longest waiting first, and how many there are: the open owned leads of
    ix_lead_status_owner, duplicates left out (their original is the one judged)."""
    waiting = (
        col(Lead.status) == LeadStatus.OPEN.value,
        col(Lead.owner_id).is_not(None),
        col(Lead.grade) == Grade.SALES_READY.value,
        col(Lead.duplicate_of).is_(None),
    )
    shown = list(
        session.scalars(
            select(Lead)
            .where(*waiting)
            .order_by(col(Lead.assigned_at), col(Lead.external_id))
            .limit(limit)
        )
    )
    if len(shown) < limit:
        return shown, len(shown)
    total = session.execute(select(func.count()).select_from(Lead).where(*waiting)).scalar_one()
    return shown, int(total)


@dataclass(frozen=True)
class FunnelHistory:
    """What a window of time did: leads won and their revenue (by `closed_at`), and new leads
    created (by `created_at`, duplicates not counted: they are not new people)."""

    won: int
    won_revenue: Decimal
    leads: int


def funnel_history(session: Session, *, start: datetime, end: datetime) -> FunnelHistory:
    won, revenue = session.execute(
        select(func.count(), func.sum(Lead.won_amount)).where(
            col(Lead.status) == LeadStatus.WON.value, _within(Lead.closed_at, start, end)
        )
    ).one()
    return FunnelHistory(
        won=won, won_revenue=_money(revenue), leads=leads_created(session, start=start, end=end)
    )


def first_lead_created(session: Session) -> datetime | None:
    """When the first lead was created (ix_lead_created_at); None before any."""
    first: datetime | None = session.execute(select(func.min(Lead.created_at))).scalar_one()
    return first


def tracked_from(session: Session, *, tz: tzinfo) -> datetime | None:
    """When tracking started: midnight (workspace zone) of the day an admin set, else of the
    day the first lead was created; None while there is no lead and no day set."""
    day = workspace.tracking_start_set(session)
    if day is None:
        first = first_lead_created(session)
        if first is None:
            return None
        day = first.astimezone(tz).date()
    return tracking_start(day, tz)


def leads_created(session: Session, *, start: datetime, end: datetime) -> int:
    """Leads created in [start, end) that are not duplicates of an earlier lead."""
    # All leads less those with a `duplicate_of`, rather than WHERE duplicate_of IS NULL:
    # given that condition, a planner without statistics walked ix_lead_duplicate_of (dropped
    # since, migration 0015), which held every original lead ever, instead of the period's
    # slice by creation time.
    count = session.execute(
        select(func.count() - func.count(col(Lead.duplicate_of))).where(
            _within(Lead.created_at, start, end)
        )
    ).scalar_one()
    return int(count)


def rep_count(session: Session) -> int:
    """People who own at least one lead still in work (open or accepted).

    These are the reps a lead goal is shared by; members alone include managers and
    marketers, and an owner whose leads are all closed is not working the funnel now.
    Reads only the leads in work, through the `status` prefix of `ix_lead_status_next_touch_due`.
    """
    count = session.execute(
        select(func.count(func.distinct(Lead.owner_id))).where(
            col(Lead.status).in_(IN_WORK), col(Lead.owner_id).is_not(None)
        )
    ).scalar_one()
    return int(count)


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(col(column) >= start, col(column) < end)


def _count_where(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _money(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENTS)


def sales_activity(session: Session, *, start: datetime, end: datetime) -> list[RepActivity]:
    """Per rep, what happened in [start, end): leads assigned (ix_lead_assigned), touches
    logged (the period's `lead.touched` events, ix_lead_event_type_occurred, counted for the
    lead's owner), accepted (ix_lead_status_accepted) and won (ix_lead_status_closed)."""
    found: dict[str, RepActivity] = {}

    def add(owner: str | None, **figures: Any) -> None:
        if owner is None:
            return
        found[owner] = found.get(owner, RepActivity(owner)) + RepActivity(owner, **figures)

    for owner, count in session.execute(
        select(col(Lead.owner_id), func.count())
        .where(_within(Lead.assigned_at, start, end))
        .group_by(col(Lead.owner_id))
    ):
        add(owner, assigned=int(count))
    touched = (
        select(col(Lead.owner_id), func.count())
        .select_from(LeadEvent)
        .join(Lead, col(Lead.external_id) == col(LeadEvent.lead_external_id))
        .where(col(LeadEvent.type) == "lead.touched", _within(LeadEvent.occurred_at, start, end))
        .group_by(col(Lead.owner_id))
    )
    for owner, count in session.execute(touched):
        add(owner, touches=int(count))
    for owner, count in session.execute(
        select(col(Lead.owner_id), func.count())
        .where(_within(Lead.accepted_at, start, end))
        .group_by(col(Lead.owner_id))
    ):
        add(owner, accepted=int(count))
    for owner, count, money in session.execute(
        select(col(Lead.owner_id), func.count(), func.sum(col(Lead.won_amount)))
        .where(col(Lead.status) == LeadStatus.WON.value, _within(Lead.closed_at, start, end))
        .group_by(col(Lead.owner_id))
    ):
        add(owner, won=int(count), revenue=_money(money))
    return sorted(found.values(), key=lambda rep: (-rep.revenue, -rep.won, -rep.touches, rep.who))
