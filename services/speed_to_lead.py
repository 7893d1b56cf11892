"""Speed to lead (DESIGN §2): the moment a sales-ready lead has an owner, a direct message to
that owner is queued — in the transaction that stored the assignment, under one key per lead
and owner, so it is sent once however many copies of the app run and however often the CRM
repeats itself. A job sends what is queued, in each owner's working hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from domain.grading import Grade, LeadStatus
from storage import events as storage_events
from storage import postings
from storage.events import NewEvent, ProjectedLead, StoreResult
from storage.models import Lead

KIND = "speed"
SETS_OFF = {"lead.created", "lead.updated", "lead.assigned"}


def key(external_id: str, owner_id: str) -> str:
    return postings.person_lead_key(KIND, owner_id, external_id)


def waiting_for_first_touch(lead: ProjectedLead, *, now: datetime) -> bool:
    """A sales-ready lead with an owner, no touch yet and its first touch not yet due: the one
    the owner must hear about now. Once the first touch is overdue, the nudge speaks for it
    (an old assignment loaded from a CRM's history is not news)."""
    return (
        lead.owner_id is not None
        and lead.grade == Grade.SALES_READY
        and lead.status == LeadStatus.OPEN
        and lead.duplicate_of is None
        and lead.first_touch_at is None
        and lead.next_touch_due is not None
        and lead.next_touch_due > now
    )


def set_off(stored: Sequence[NewEvent], result: StoreResult) -> list[ProjectedLead]:
    """The leads these events may have made newly sales-ready and owned (or newly owned
    duplicates), as the batch wrote them: only creations, updates and assignments can, and
    the batch knows what it wrote, so this costs no read."""
    named = sorted({event.lead_external_id for event in stored if event.type in SETS_OFF})
    return [result.written[external_id] for external_id in named if external_id in result.written]


def queue(session: Session, set_off_leads: Sequence[ProjectedLead], *, now: datetime) -> int:
    """In the caller's transaction: a message for each lead the stored events made sales-ready
    and owned (an assignment, or a grade that rose while assigned). How many were queued."""
    messages = [
        (key(lead.external_id, lead.owner_id), lead.owner_id)
        for lead in set_off_leads
        if waiting_for_first_touch(lead, now=now) and lead.owner_id is not None
    ]
    return postings.queue_many(session, messages, kind=KIND, now=now)


@dataclass(frozen=True)
class Waiting:
    key: str
    owner_id: str
    lead: Lead | None  # None: the lead no longer waits (touched, closed, given to someone else)


def waiting(session: Session, *, now: datetime, limit: int) -> list[Waiting]:
    """The queued messages, with their leads as they stand now (read in one IN query)."""
    queued = postings.pending_person_leads(session, kind=KIND, limit=limit)
    rows = storage_events.leads_by_external_id(session, [item.external_id for item in queued])
    found = []
    for item in queued:
        lead = rows.get(item.external_id)
        still = (
            lead is not None
            and waiting_for_first_touch(lead, now=now)
            and lead.owner_id == item.person_id
        )
        found.append(Waiting(item.key, item.person_id, lead if still else None))
    return found
