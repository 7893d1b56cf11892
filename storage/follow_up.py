"""Leads due for follow-up and what the bot did about them: nudged, snoozed, escalated.

The planning query reads only leads in work whose next touch falls due before a bound (the
`status, next_touch_due` index), joined to their follow-up record; its cost follows the
overdue leads, not the projection or the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from domain.follow_up import FollowUpLead
from domain.grading import Grade, LeadStatus
from storage.models import FollowUp, Lead, Member

IN_WORK = (LeadStatus.OPEN.value, LeadStatus.ACCEPTED.value)
CHUNK = 900


def due_before(session: Session, *, until: datetime) -> list[FollowUpLead]:
    """Every lead in work with an owner whose next touch is due before `until`."""
    rows = session.exec(
        select(Lead, FollowUp)
        .join(FollowUp, col(FollowUp.lead_external_id) == col(Lead.external_id), isouter=True)
        .where(
            col(Lead.status).in_(IN_WORK),
            col(Lead.next_touch_due) <= until,
            col(Lead.owner_id).is_not(None),
            col(Lead.grade) != Grade.AVOID.value,
        )
    )
    found = []
    for lead, record in rows:
        assert lead.owner_id is not None and lead.next_touch_due is not None
        found.append(
            FollowUpLead(
                external_id=lead.external_id,
                owner_id=lead.owner_id,
                name=lead.name,
                company=lead.company,
                grade=lead.grade,
                touches=lead.touches,
                next_touch_due=lead.next_touch_due,
                last_nudged_at=record.last_nudged_at if record else None,
                snoozed_until=record.snoozed_until if record else None,
                snoozes=record.snoozes if record else 0,
                escalated_since=record.escalated_since if record else None,
            )
        )
    return found


def _records(session: Session, lead_ids: Sequence[str], *, at: datetime) -> list[FollowUp]:
    """The follow-up records of these leads, created where missing (not yet flushed)."""
    existing: dict[str, FollowUp] = {}
    for start in range(0, len(lead_ids), CHUNK):
        chunk = lead_ids[start : start + CHUNK]
        for record in session.exec(
            select(FollowUp).where(col(FollowUp.lead_external_id).in_(chunk))
        ):
            existing[record.lead_external_id] = record
    records = []
    for lead_id in lead_ids:
        record = existing.get(lead_id) or FollowUp(lead_external_id=lead_id, updated_at=at)
        record.updated_at = at
        session.add(record)
        records.append(record)
    return records


def record_nudged(session: Session, *, lead_ids: Sequence[str], at: datetime) -> None:
    for record in _records(session, lead_ids, at=at):
        record.last_nudged_at = at


def record_escalated(
    session: Session, *, breaches: Iterable[tuple[str, datetime]], at: datetime
) -> None:
    """Each (lead, overdue since) escalated: that breach is not escalated again."""
    since = dict(breaches)
    for record in _records(session, list(since), at=at):
        record.escalated_since = since[record.lead_external_id]
        record.escalated_at = at


def snooze(session: Session, *, lead_id: str, until: datetime, at: datetime) -> int:
    """Snooze the lead's nudges until `until`; the number of times it has been snoozed."""
    [record] = _records(session, [lead_id], at=at)
    record.snoozed_until = until
    record.snoozes += 1
    return record.snoozes


def people(session: Session, ids: Iterable[str]) -> dict[str, Member]:
    """The members among `ids`, by id (their time zone, manager, whether they left)."""
    wanted = sorted(set(ids))
    found: dict[str, Member] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for member in session.exec(select(Member).where(col(Member.slack_user_id).in_(chunk))):
            found[member.slack_user_id] = member
    return found


def unreachable_reps(session: Session, *, limit: int) -> list[Member]:
    """People Slack could not reach (left, unknown, DMs closed) who still own leads in work:
    what settings and admins are told about."""
    # The few members marked unreachable, each checked for work through the owner index.
    works = (
        select(Lead.id)
        .where(col(Lead.owner_id) == col(Member.slack_user_id), col(Lead.status).in_(IN_WORK))
        .exists()
    )
    return list(
        session.exec(
            select(Member)
            .where(col(Member.deactivated).is_(True), works)
            .order_by(col(Member.slack_user_id))
            .limit(limit)
        )
    )
