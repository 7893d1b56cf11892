"""Leads due for follow-up and what the bot did about them: nudged, snoozed, escalated.

The planning query reads only leads in work whose next touch falls due before a bound (the
`status, next_touch_due` index), joined to their follow-up record; its cost follows the
overdue leads, not the projection or the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain.follow_up import FollowUpLead
from domain.grading import Grade, LeadStatus
from storage import postings
from storage.models import FollowUp, Lead, Member, Posting

IN_WORK = (LeadStatus.OPEN.value, LeadStatus.ACCEPTED.value)
CHUNK = 900
# The error of an unconfirmed message that Slack turned out not to have: a later message
# lists its leads instead, so it is not looked for again (the same key may still be sent).
SUPERSEDED = "not in the channel; superseded by a later run"


def due_before(session: Session, *, until: datetime) -> list[FollowUpLead]:
    """Every lead in work with an owner whose next touch is due before `until`.

    Only the columns a nudge shows are read (not whole rows): a run over 10k overdue leads
    holds 10k small tuples, not 10k ORM objects.
    """
    rows = session.execute(
        sa_select(
            col(Lead.external_id),
            col(Lead.owner_id),
            col(Lead.name),
            col(Lead.company),
            col(Lead.grade),
            col(Lead.touches),
            col(Lead.next_touch_due),
            col(FollowUp.last_nudged_at),
            col(FollowUp.snoozed_until),
            col(FollowUp.snoozes),
            col(FollowUp.escalated_since),
            col(Lead.window_ends_at),
        )
        .join(FollowUp, col(FollowUp.lead_external_id) == col(Lead.external_id), isouter=True)
        .where(
            col(Lead.status).in_(IN_WORK),
            col(Lead.next_touch_due) <= until,
            col(Lead.owner_id).is_not(None),
            col(Lead.grade) != Grade.AVOID.value,
        )
    )
    return [
        FollowUpLead(
            external_id=external_id,
            owner_id=owner_id,
            name=name,
            company=company,
            grade=grade,
            touches=touches,
            next_touch_due=next_touch_due,
            last_nudged_at=last_nudged_at,
            snoozed_until=snoozed_until,
            snoozes=snoozes or 0,
            escalated_since=escalated_since,
            window_ends_at=window_ends_at,
        )
        for (
            external_id,
            owner_id,
            name,
            company,
            grade,
            touches,
            next_touch_due,
            last_nudged_at,
            snoozed_until,
            snoozes,
            escalated_since,
            window_ends_at,
        ) in rows
    ]


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
    """Each (lead, overdue since) escalated: that breach is not escalated again, and the
    snoozes that may have led to it are spent — the third snooze after this one escalates
    again, not the next overdue moment of a later breach."""
    since = dict(breaches)
    for record in _records(session, list(since), at=at):
        record.escalated_since = since[record.lead_external_id]
        record.escalated_at = at
        record.snoozes = 0


def snooze(session: Session, *, lead_id: str, until: datetime, at: datetime) -> int:
    """Snooze the lead's nudges until `until`; the number of times it has been snoozed."""
    [record] = _records(session, [lead_id], at=at)
    record.snoozed_until = until
    record.snoozes += 1
    return record.snoozes


def unconfirmed(session: Session, *, kind: str, since: datetime) -> list[Posting]:
    """Messages of `kind` first claimed since `since` and not known to be sent: being sent
    by a run right now, or tried without an answer that settles it (a timeout, a 5xx, a process
    that died mid-send) and not yet looked for in Slack. Few: the faults of the last day."""
    not_superseded = or_(col(Posting.error).is_(None), col(Posting.error) != SUPERSEDED)
    return list(
        session.exec(
            select(Posting)
            .where(
                col(Posting.status) == postings.PENDING,
                col(Posting.kind) == kind,
                col(Posting.created_at) >= since,
                not_superseded,
            )
            .order_by(col(Posting.id))
        )
    )


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
    return _unreachable(session, works, limit=limit)


def unreachable_managers(session: Session, *, limit: int) -> list[Member]:
    """Managers Slack could not reach (they left) who still have reps: their reps' escalations
    go to an admin until someone sets them a new manager."""
    # The few members marked unreachable, each checked for a team through the manager index.
    report = aliased(Member)
    manages = (
        select(report.slack_user_id)
        .where(col(report.manager_id) == col(Member.slack_user_id))
        .exists()
    )
    return _unreachable(session, manages, limit=limit)


def _unreachable(session: Session, condition: Any, *, limit: int) -> list[Member]:
    """The members marked unreachable for whom `condition` holds, by id."""
    return list(
        session.exec(
            select(Member)
            .where(col(Member.deactivated).is_(True), condition)
            .order_by(col(Member.slack_user_id))
            .limit(limit)
        )
    )
