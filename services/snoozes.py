"""Snoozing a lead's nudges (a nudge's Snooze menu): taken once while it lasts, counted, and
the third snooze of an overdue lead escalates it to the rep's manager (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.follow_up import SNOOZES_BEFORE_ESCALATION, Snooze
from services import lead_changes
from services.context import Services
from services.lead_changes import Outcome
from services.people import zone_of
from storage import follow_up_records, members
from storage.models import FollowUp, Lead


@dataclass(frozen=True)
class Snoozed:
    lead: Lead
    taken: bool  # False: it was snoozed already, nothing changed
    until: datetime
    snoozes: int
    escalates: bool  # this snooze sends the lead to `recipient` with the next escalation run
    recipient: str | None  # the rep's manager, else the first admin
    to_admin: bool


@dataclass(frozen=True)
class _Record:
    taken: bool
    until: datetime
    snoozes: int
    escalated: bool  # its rep's manager has heard of this breach already
    manager_id: str | None


def _snooze_in(session: Session, *, lead: Lead, until: datetime, now: datetime) -> _Record:
    # Locked on PostgreSQL, so of two presses at once the second sees the first's snooze.
    record = session.get(FollowUp, lead.external_id, with_for_update=True)
    manager = members.manager_of(session, lead.owner_id) if lead.owner_id else None
    escalated = (
        record is not None
        and lead.next_touch_due is not None
        and record.escalated_since == lead.next_touch_due
    )
    if record is not None and record.snoozed_until is not None and record.snoozed_until > now:
        return _Record(False, record.snoozed_until, record.snoozes, escalated, manager)
    count = follow_up_records.snooze(session, lead_id=lead.external_id, until=until, at=now)
    return _Record(True, until, count, escalated, manager)


def _snooze_once(services: Services, lead: Lead, until: datetime, now: datetime) -> _Record:
    """One transaction; two first snoozes at once both insert the record, and the loser,
    tried again, finds the lead snoozed."""
    for attempt in (1, 2):
        try:
            with services.db.session() as session:
                return _snooze_in(session, lead=lead, until=until, now=now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def snooze(
    services: Services, *, actor_id: str, external_id: str, kind: Snooze
) -> Snoozed | Outcome:
    """Leave the lead out of nudges until the time chosen (tomorrow 09:00 is in its rep's
    zone); an `Outcome` says why not (lead_changes.check)."""
    checked = await lead_changes.check(
        services, actor_id=actor_id, external_id=external_id, action="snooze"
    )
    lead = checked.lead
    if checked.stopped or lead is None:
        return checked
    now = services.clock.now()
    zone = await zone_of(services, lead.owner_id or actor_id, now=now)
    until = kind.until(now, zone)
    record = await services.in_thread(_snooze_once, services, lead, until, now)
    overdue = lead.next_touch_due is not None and lead.next_touch_due <= now
    escalates = (
        record.taken
        and record.snoozes >= SNOOZES_BEFORE_ESCALATION
        and overdue
        and not record.escalated
    )
    # Whom plan_escalations will send it to: the rep's manager, else the first admin.
    admins = sorted(services.settings.smarketing_admins)
    return Snoozed(
        lead=lead,
        taken=record.taken,
        until=record.until,
        snoozes=record.snoozes,
        escalates=escalates,
        recipient=record.manager_id or (admins[0] if admins else None),
        to_admin=record.manager_id is None,
    )
