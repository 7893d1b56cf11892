"""The figures behind `/sla-status` and App Home, read from the lead projection through indexes.

A scope is a list of reps (a rep alone, a manager's team) or None for everyone. Every query is
bounded by the scope's leads in work or by the period, never by the size of the event log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlmodel import Session, col, select

from domain.cadence import SalesSla, outcome_after
from domain.grading import Grade, LeadStatus
from domain.sla import OverdueLead, SalesCounts, median_duration
from storage.models import Lead

IN_WORK = (LeadStatus.OPEN.value, LeadStatus.ACCEPTED.value)
CHUNK = 900


def _owner_filter(owners: Sequence[str] | None) -> Iterator[ColumnElement[bool] | None]:
    """One condition per chunk of owners (IN lists stay small), or none for everyone."""
    if owners is None:
        yield None
        return
    for start in range(0, len(owners), CHUNK):
        yield col(Lead.owner_id).in_(owners[start : start + CHUNK])


# Everyone's leads in work: those with an owner. With a list of owners the IN says it, and
# repeating `owner_id IS NOT NULL` there would steer SQLite to the unassigned queue's index
# (status, owner_id) for a range over every owned lead: 255 ms instead of 1 ms for a team.
_owned = col(Lead.owner_id).is_not(None)


def _where(*conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [condition for condition in conditions if condition is not None]


def sales_counts(
    session: Session,
    *,
    owners: Sequence[str] | None,
    now: datetime,
    sla: SalesSla,
    month_start: datetime,
) -> dict[str, SalesCounts]:
    """Per rep: leads in their window, overdue (in window and at all), breaches this month."""
    overdue = overdue_condition(now=now, sla=sla)
    # On a cadence whose window has not ended (nurture, duplicates and unowned leads have none).
    in_window = col(Lead.window_ends_at) > now
    counts: dict[str, SalesCounts] = {}
    for owner_filter in _owner_filter(owners):
        rows = session.execute(
            select(
                Lead.owner_id,
                func.sum(case((in_window, 1), else_=0)),
                func.sum(case((and_(in_window, overdue), 1), else_=0)),
                func.sum(case((overdue, 1), else_=0)),
            )
            .where(
                *_where(owner_filter if owner_filter is not None else _owned),
                col(Lead.status).in_(IN_WORK),
                # No grade test: only sales-ready and review leads have a window or a touch
                # due, so the owner, status, due and window index answers alone.
            )
            .group_by(col(Lead.owner_id))
        )
        for owner_id, window_count, overdue_window, overdue_count in rows:
            counts[owner_id] = SalesCounts(
                in_window=int(window_count or 0),
                overdue_in_window=int(overdue_window or 0),
                overdue=int(overdue_count or 0),
            )
    for owner_id, breaches in _breaches(session, owners=owners, start=month_start, end=now):
        current = counts.get(owner_id, SalesCounts())
        counts[owner_id] = current + SalesCounts(breaches=breaches)
    return counts


def overdue_condition(*, now: datetime, sla: SalesSla) -> ColumnElement[bool]:
    """`domain.cadence.still_overdue` in SQL: a touch is due and the lead does not wait for an
    outcome yet (its window has not ended more than the escalation delay ago).

    A touch falls due inside its window, so such a lead's next touch is due after
    `now - E - D`: that bound lets an index on `next_touch_due` skip the leads long past their
    window (which come first in due order) instead of reading through them."""
    since = now - outcome_after(sla)
    return and_(
        col(Lead.next_touch_due) > since - sla.window,
        col(Lead.next_touch_due) <= now,
        col(Lead.window_ends_at) > since,
    )


def _breaches(
    session: Session, *, owners: Sequence[str] | None, start: datetime, end: datetime
) -> Iterator[tuple[str, int]]:
    """Windows that ended in [start, end) with fewer than K touches, on leads not closed
    before the window ended (a lead closed mid-window needs no more touches)."""
    ended = and_(col(Lead.window_ends_at) >= start, col(Lead.window_ends_at) < end)
    short = or_(col(Lead.sla_met_at).is_(None), col(Lead.sla_met_at) > col(Lead.window_ends_at))
    still_worked = or_(
        col(Lead.closed_at).is_(None), col(Lead.closed_at) >= col(Lead.window_ends_at)
    )
    for owner_filter in _owner_filter(owners):
        rows = session.execute(
            select(Lead.owner_id, func.count())
            .where(
                *_where(owner_filter),
                ended,
                short,
                still_worked,
                col(Lead.grade) != Grade.AVOID.value,
            )
            .group_by(col(Lead.owner_id))
        )
        for owner_id, count in rows:
            yield owner_id, int(count)


def breaches_by_owner(
    session: Session, *, owners: Sequence[str] | None, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """Per rep: SLA windows that ended in [start, end) short of K touches."""
    return list(_breaches(session, owners=owners, start=start, end=end))


def breaches_between(session: Session, *, start: datetime, end: datetime) -> int:
    """Everyone's breaches: SLA windows that ended in [start, end) short of K touches."""
    return sum(count for _owner, count in _breaches(session, owners=None, start=start, end=end))


def median_first_touch(
    session: Session,
    *,
    owners: Sequence[str] | None,
    start: datetime,
    end: datetime,
    grade: Grade | None = None,
) -> timedelta | None:
    """Median time from assignment to first touch, over leads assigned in [start, end) (of
    one grade, when given: sales-ready leads' speed to lead)."""
    durations: list[timedelta] = []
    for owner_filter in _owner_filter(owners):
        rows = session.execute(
            select(Lead.assigned_at, Lead.first_touch_at).where(
                *_where(owner_filter),
                col(Lead.assigned_at) >= start,
                col(Lead.assigned_at) < end,
                col(Lead.first_touch_at).is_not(None),
                *_where(None if grade is None else col(Lead.grade) == grade.value),
            )
        )
        durations.extend(touched - assigned for assigned, touched in rows)
    return median_duration(durations)


def overdue_leads(
    session: Session, *, owners: Sequence[str] | None, now: datetime, sla: SalesSla, limit: int
) -> list[OverdueLead]:
    """The most overdue leads in work (longest overdue first), at most `limit`."""
    found: list[OverdueLead] = []
    for owner_filter in _owner_filter(owners):
        rows = session.exec(
            select(Lead)
            .where(
                *_where(owner_filter if owner_filter is not None else _owned),
                col(Lead.status).in_(IN_WORK),
                overdue_condition(now=now, sla=sla),
            )
            .order_by(col(Lead.next_touch_due), col(Lead.external_id))
            .limit(limit)
        )
        found.extend(_overdue(row) for row in rows if row.grade != Grade.AVOID.value)
    found.sort(key=lambda lead: (lead.overdue_since, lead.external_id))
    return found[:limit]


def _overdue(row: Lead) -> OverdueLead:
    assert row.owner_id is not None and row.next_touch_due is not None
    return OverdueLead(
        external_id=row.external_id,
        name=row.name,
        company=row.company,
        grade=row.grade,
        owner_id=row.owner_id,
        touches=row.touches,
        overdue_since=row.next_touch_due,
    )


def sales_ready_delivered(session: Session, *, start: datetime, end: datetime) -> int:
    """What marketing delivered: sales-ready leads created in [start, end), not duplicates."""
    delivered = session.execute(
        select(func.count() - func.count(col(Lead.duplicate_of))).where(
            col(Lead.grade) == Grade.SALES_READY.value,
            col(Lead.created_at) >= start,
            col(Lead.created_at) < end,
        )
    ).scalar_one()
    return int(delivered)


def acceptance(session: Session, *, start: datetime, end: datetime) -> tuple[int, int]:
    """(accepted, rejected) by sales in [start, end): accepted by `accepted_at` (leads accepted
    then closed count too), rejected by `closed_at`."""
    rejected = session.execute(
        select(func.count()).where(
            col(Lead.status) == LeadStatus.REJECTED.value,
            col(Lead.closed_at) >= start,
            col(Lead.closed_at) < end,
        )
    ).scalar_one()
    accepted = 0
    # Accepted leads are still `accepted`, or closed (won/lost) after their acceptance.
    for statuses, column in (
        ((LeadStatus.ACCEPTED.value,), None),
        ((LeadStatus.WON.value, LeadStatus.LOST.value), col(Lead.closed_at) >= start),
    ):
        accepted += session.execute(
            select(func.count()).where(
                col(Lead.status).in_(statuses),
                *_where(column),
                col(Lead.accepted_at) >= start,
                col(Lead.accepted_at) < end,
            )
        ).scalar_one()
    return int(accepted), int(rejected)
