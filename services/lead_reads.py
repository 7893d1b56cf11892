"""Reading leads for people: one lead's timeline (`/lead ID`) and a rep's open leads
(`/lead mine`: on a cadence, then needing an outcome), each read in one session through
indexes, bounded by what is shown."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from domain.cadence import SalesSla
from services import hubspot_sync
from services.context import Services
from storage import leads, workspace
from storage.models import Lead, LeadEvent


@dataclass(frozen=True)
class Timeline:
    lead: Lead
    events: Sequence[LeadEvent]  # the latest first, at most the number asked for
    more: bool  # the lead has older events than those
    sla: SalesSla
    crm_link: str | None = None  # its record in the CRM it came from, when known


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

    found = await services.in_thread(read)
    if found is None:
        return None
    return replace(found, crm_link=await crm_link(services, found.lead))


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


@dataclass(frozen=True)
class Search:
    """What `/lead TEXT` found when TEXT is no lead's id: leads whose e-mail, name or company
    starts with it, and ids it may have meant."""

    leads: Sequence[Lead]
    more: bool  # more leads match than are shown
    did_you_mean: Sequence[str] = field(default_factory=tuple)


async def search(services: Services, text: str) -> Search:
    def read() -> Search:
        with services.db.session() as session:
            found, more = leads.search(session, text=text)
            meant = [] if found else _meant(text, leads.ids_near(session, text=text))
            return Search(found, more, meant)

    return await services.in_thread(read)


def _meant(text: str, candidates: Sequence[str]) -> list[str]:
    """At most three ids close to what was typed: one that is the typed text behind a prefix
    (`1001` → `L-1001`) first, then the closest spellings."""
    suffixed = [one for one in candidates if one.endswith(f"-{text}")]
    close = difflib.get_close_matches(text, candidates, n=3, cutoff=0.75)
    return list(dict.fromkeys([*suffixed, *close]))[:3]


async def crm_link(services: Services, lead: Lead) -> str | None:
    """The lead's record in the CRM it came from, when the bot knows where that is."""
    if not services.settings.hubspot_on:
        return None

    def read() -> str | None:
        with services.db.session() as session:
            return hubspot_sync.record_url(session, lead.external_id)

    return await services.in_thread(read)
