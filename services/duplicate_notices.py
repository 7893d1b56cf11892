"""Duplicates are never worked twice (DESIGN §2): the owner of a duplicate is told, once, which
lead it duplicates and who owns that one. The notice is queued in the transaction that stored
the event making the lead an owned duplicate, under one key per lead and owner, and a job sends
it in the owner's working hours (as speed to lead)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from domain.grading import LeadStatus
from storage import postings
from storage.events import ProjectedLead, leads_by_external_id
from storage.models import Lead

KIND = "duplicate"


def key(external_id: str, owner_id: str) -> str:
    return postings.person_lead_key(KIND, owner_id, external_id)


def queue(session: Session, set_off_leads: Sequence[ProjectedLead], *, now: datetime) -> int:
    """In the caller's transaction: a notice for each owned duplicate among these leads."""
    messages = [
        (key(lead.external_id, lead.owner_id), lead.owner_id)
        for lead in set_off_leads
        if lead.duplicate_of is not None
        and lead.owner_id is not None
        and lead.status == LeadStatus.OPEN
    ]
    return postings.queue_many(session, messages, kind=KIND, now=now)


@dataclass(frozen=True)
class Notice:
    key: str
    owner_id: str
    lead: Lead | None  # None: no longer an owned duplicate of this owner's
    original: Lead | None


def waiting(session: Session, *, limit: int) -> list[Notice]:
    """The queued notices, with the duplicates and their originals as they stand now (read
    in two IN queries)."""
    queued = postings.pending_person_leads(session, kind=KIND, limit=limit)
    rows = leads_by_external_id(session, [item.external_id for item in queued])
    originals = leads_by_external_id(
        session, sorted({row.duplicate_of for row in rows.values() if row.duplicate_of})
    )
    found = []
    for item in queued:
        lead = rows.get(item.external_id)
        original = originals.get(lead.duplicate_of) if lead and lead.duplicate_of else None
        still = lead is not None and original is not None and lead.owner_id == item.person_id
        found.append(Notice(item.key, item.person_id, lead if still else None, original))
    return found
