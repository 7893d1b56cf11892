"""Reading leads for people: one lead's timeline (`/lead ID`) and a rep's open leads
(`/lead mine`: on a cadence, then needing an outcome), each read in one session through
indexes, bounded by what is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.cadence import SalesSla
from services.context import Services
from storage import leads, workspace
from storage.models import Lead, LeadEvent


@dataclass(frozen=True)
class Timeline:
    lead: Lead
    events: Sequence[LeadEvent]  # the latest first, at most the number asked for
    more: bool  # the lead has older events than those
    sla: SalesSla


@dataclass(frozen=True)
class OpenLeads:
    leads: Sequence[Lead]  # most overdue first, at most the number asked for
    total: int
    sla: SalesSla
    needs_outcome: Sequence[Lead] = ()  # windows ended, the longest waiting first
    needs_outcome_total: int = 0


async def timeline(services: Services, external_id: str, *, events: int) -> Timeline | None:
    """The lead and its latest `events` events; None when no lead has that id."""

    def read() -> Timeline | None:
        with services.db.session() as session:
            lead = leads.lead_by_external_id(session, external_id=external_id)
            if lead is None:
                return None
            latest = leads.recent_events(session, external_id=external_id, limit=events + 1)
            return Timeline(
                lead=lead,
                events=latest[:events],
                more=len(latest) > events,
                sla=workspace.sales_sla(session),
            )

    return await services.in_thread(read)


async def open_leads(services: Services, owner_id: str, *, shown: int) -> OpenLeads:
    def read() -> OpenLeads:
        with services.db.session() as session:
            sla, now = workspace.sales_sla(session), services.clock.now()
            found = leads.open_leads_of(session, owner_id=owner_id, now=now, sla=sla, limit=shown)
            ended = leads.needs_outcome_of(
                session, owner_id=owner_id, now=now, sla=sla, limit=shown
            )
            return OpenLeads(found.shown, found.total, sla, ended.shown, ended.total)

    return await services.in_thread(read)


async def unassigned(services: Services, *, shown: int) -> OpenLeads:
    """The unassigned queue (managers and admins see it; the caller checks)."""

    def read() -> OpenLeads:
        with services.db.session() as session:
            found = leads.unassigned_leads(session, limit=shown)
            return OpenLeads(found.shown, found.total, workspace.sales_sla(session))

    return await services.in_thread(read)
