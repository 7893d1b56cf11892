"""HubSpot into the lead log (DESIGN §4 "In"): webhook deliveries stored and acknowledged at
once, then applied by a worker; a backfill and a scheduled catch-up that read what changed.

Both read a contact's state from HubSpot's API and store the lead events that state implies
and the log lacks, under ids made from HubSpot's own ids: a redelivered, repeated or
out-of-order webhook, or a sync run twice, stores nothing new."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from connectors.hubspot.client import ENGAGEMENTS, HubSpotClient, HubSpotError, Stage, to_ms
from connectors.hubspot.mapping import (
    BODY,
    CHANNEL_OF,
    UNQUALIFIED,
    PropertyNames,
    accepted,
    external_id,
    lead_fields,
    moment,
)
from connectors.hubspot.mapping import (
    contact_id as contact_of,
)
from domain.grading import LeadStatus
from domain.lead_state import normalize_email
from services.config import Settings
from services.context import Services
from services.hubspot_write_back import ORIGIN, client_for
from services.ingestion import SlackUnavailable, ingest
from services.lead_events import EVENT, LeadEventIn
from storage import hubspot, members
from storage.hubspot import InboxEvent
from storage.leads import event_logged, lead_by_external_id
from storage.models import HubSpotInbox, Lead

logger = logging.getLogger("smarketing.hubspot")

MAX_EVENTS = 100  # HubSpot sends at most 100 events a delivery
STAGES = "deal_stages"
LAST_WEBHOOK = "last_webhook_at"
PORTAL = "portal_id"  # the HubSpot account, as its webhook deliveries name it
LAST_SYNC = "last_sync_at"
CURSOR = "sync_cursor_ms"


def names(settings: Settings) -> PropertyNames:
    return PropertyNames(
        fit=settings.hubspot_fit_property,
        interest=settings.hubspot_interest_property,
        source=settings.hubspot_source_property,
        campaign=settings.hubspot_campaign_property,
        persona=settings.hubspot_persona_property,
    )


# --- webhooks in --------------------------------------------------------------------------


def inbox_events(body: Any) -> list[InboxEvent] | str:
    """A delivery's events, or why it is not one."""
    if not isinstance(body, list) or not body:
        return "the body must be a JSON array of HubSpot webhook events"
    if len(body) > MAX_EVENTS:
        return f"a delivery holds at most {MAX_EVENTS} events"
    events = []
    for index, item in enumerate(body):
        try:
            occurred = datetime.fromtimestamp(int(item["occurredAt"]) / 1000, tz=UTC)
            events.append(
                InboxEvent(
                    event_id=str(int(item["eventId"])),
                    subscription_type=str(item["subscriptionType"])[:64],
                    object_id=str(int(item["objectId"])),
                    occurred_at=occurred,
                    event=item,
                )
            )
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            return f"event {index} needs eventId, subscriptionType, objectId and occurredAt"
    return events


def receive(services: Services, events: Sequence[InboxEvent]) -> int:
    """Store a delivery durably (in a worker thread); how many events were new."""
    now = services.clock.now()
    portals = {str(event.event.get("portalId")) for event in events if event.event.get("portalId")}
    with services.db.session() as session:
        fresh = hubspot.store_inbox(session, events, now=now)
        hubspot.set_state(session, LAST_WEBHOOK, now.isoformat(), now=now)
        if len(portals) == 1 and hubspot.state(session, PORTAL) != (portal := portals.pop()):
            hubspot.set_state(session, PORTAL, portal, now=now)
    return fresh


def record_url(session: Session, lead_external_id: str) -> str | None:
    """The HubSpot record of a lead that came from HubSpot, once a delivery has said which
    account (portal) it is; None otherwise."""
    contact = contact_of(lead_external_id)
    portal = hubspot.state(session, PORTAL)
    if contact is None or not portal:
        return None
    return f"https://app.hubspot.com/contacts/{portal}/record/0-1/{contact}"


@dataclass
class InboxRun:
    applied: int = 0  # webhook events applied
    stored: int = 0  # lead events stored from them
    postponed: int = 0
    dropped: list[str] = field(default_factory=list)


async def process_inbox(services: Services, *, limit: int = 500) -> InboxRun:
    """Apply the events waiting, contact by contact, in the order they happened."""
    run = InboxRun()
    if not services.settings.hubspot_on:
        return run
    now = services.clock.now()

    def pending() -> list[HubSpotInbox]:
        with services.db.session() as session:
            return hubspot.pending_inbox(session, now=now, limit=limit)

    rows = await services.in_thread(pending)
    if not rows:
        return run
    client = client_for(services.settings)
    try:
        groups: dict[tuple[str, str], list[HubSpotInbox]] = {}
        for row in rows:
            kind = "deal" if row.subscription_type.startswith("deal.") else "contact"
            groups.setdefault((kind, row.object_id), []).append(row)
        for (kind, object_id), group in groups.items():
            await _apply_group(services, client, kind, object_id, group, run)
    finally:
        client.close()
    return run


async def _apply_group(
    services: Services,
    client: HubSpotClient,
    kind: str,
    object_id: str,
    group: list[HubSpotInbox],
    run: InboxRun,
) -> None:
    ids = [row.id for row in group if row.id is not None]
    now = services.clock.now()
    error: str | None = None
    try:
        if kind == "deal":
            deal = await services.in_thread(client.deal, object_id)
            contacts = deal.associations.get("contacts", [])
        elif any(row.subscription_type == "contact.deletion" for row in group):
            contacts = []  # a deleted contact's lead stays as it was in the log
        else:
            contacts = [object_id]
        hints = {
            str(row.event.get("propertyName")): row.occurred_at
            for row in group
            if row.event.get("propertyName")
        }
        for contact in contacts:
            run.stored += await apply_contact(services, client, contact, hints=hints)
    except HubSpotError as failure:
        if not failure.permanent:
            wait = failure.wait(max(row.attempts for row in group))
            await services.in_thread(_postpone, services, ids, now + wait, str(failure))
            run.postponed += len(ids)
            return
        error = "the record was deleted in HubSpot" if failure.not_found else str(failure)
        run.dropped.append(f"{kind} {object_id}: {error}")
        logger.warning("HubSpot %s %s not applied: %s", kind, object_id, error)
    except SlackUnavailable as failure:
        await services.in_thread(_postpone, services, ids, now + timedelta(minutes=1), str(failure))
        run.postponed += len(ids)
        return
    await services.in_thread(_finish, services, ids, error)
    run.applied += len(ids)


def _postpone(services: Services, ids: list[int], until: datetime, error: str) -> None:
    with services.db.session() as session:
        hubspot.postpone_inbox(session, ids, until=until, error=error)


def _finish(services: Services, ids: list[int], error: str | None) -> None:
    with services.db.session() as session:
        hubspot.finish_inbox(session, ids, now=services.clock.now(), error=error)


# --- one contact: HubSpot's state as lead events -------------------------------------------


async def apply_contact(
    services: Services,
    client: HubSpotClient,
    contact_id: str,
    *,
    hints: dict[str, datetime] | None = None,
    stages: dict[str, Stage] | None = None,
) -> int:
    """Store the lead events the contact's state implies and the log lacks; how many."""
    raw = await services.in_thread(
        contact_events, services, client, contact_id, hints or {}, stages
    )
    events = [event for event in (_valid(item) for item in raw) if event is not None]
    if not events:
        return 0
    ingested = await ingest(services, events, origin=ORIGIN)
    return len(ingested.result.stored)


def contact_events(
    services: Services,
    client: HubSpotClient,
    contact_id: str,
    hints: dict[str, datetime],
    stages: dict[str, Stage] | None,
) -> list[dict[str, Any]]:
    settings, now = services.settings, services.clock.now()
    record = client.contact(
        contact_id, names(settings).contact_properties(), associations=("deals", *ENGAGEMENTS)
    )
    props = record.properties
    lead_id = external_id(contact_id)
    created_at = moment(props.get("createdate"), now)
    modified_at = moment(props.get("lastmodifieddate"), now)
    modified_ms = to_ms(props.get("lastmodifieddate")) or 0

    def at(prop: str) -> str:
        return hints.get(prop, modified_at).isoformat()

    with services.db.session() as session:
        lead = lead_by_external_id(session, external_id=lead_id)
        written = hubspot.written_ids(session, contact_id=contact_id)

        def logged(event_id: str) -> bool:
            return event_logged(session, event_id=event_id)

        events: list[dict[str, Any]] = []
        fields = lead_fields(props, names(settings))
        ref = {"external_id": lead_id}
        if lead is None:
            events.append(
                {
                    "id": f"hs-{contact_id}-created",
                    "type": "lead.created",
                    "occurred_at": created_at.isoformat(),
                    "lead": ref | fields,
                }
            )
        else:
            changed = {name: value for name, value in fields.items() if _differs(lead, name, value)}
            if changed:
                events.append(
                    {
                        "id": f"hs-{contact_id}-updated-{modified_ms}",
                        "type": "lead.updated",
                        "occurred_at": modified_at.isoformat(),
                        "lead": ref | changed,
                    }
                )
        owner = props.get("hubspot_owner_id")
        if owner:
            email = normalize_email(_owner_email(client, owner, now=now))
            known = members.cached_owner_ids(session, emails=[email], now=now) if email else {}
            if email and (
                lead is None or lead.owner_id is None or known.get(email) != lead.owner_id
            ):
                events.append(
                    {
                        "id": f"hs-{contact_id}-owner-{owner}-{modified_ms}",
                        "type": "lead.assigned",
                        "occurred_at": at("hubspot_owner_id"),
                        "lead": ref,
                        "owner": {"email": email},
                    }
                )
        status = lead.status if lead else LeadStatus.OPEN.value
        closed = status in {LeadStatus.REJECTED, LeadStatus.WON, LeadStatus.LOST}
        if props.get("hs_lead_status") == UNQUALIFIED and not closed:
            events.append(
                {
                    "id": f"hs-{contact_id}-unqualified-{modified_ms}",
                    "type": "lead.rejected",
                    "occurred_at": at("hs_lead_status"),
                    "lead": ref,
                    "reason": "Marked unqualified in HubSpot",
                }
            )
        if accepted(props.get("lifecyclestage")) and status == LeadStatus.OPEN:
            events.append(
                {
                    "id": f"hs-{contact_id}-accepted",
                    "type": "lead.accepted",
                    "occurred_at": at("lifecyclestage"),
                    "lead": ref,
                }
            )
        for deal_id in record.associations.get("deals", []):
            if logged(f"hs-deal-{deal_id}-won") or logged(f"hs-deal-{deal_id}-lost"):
                continue
            deal = client.deal(deal_id)
            if stages is None:
                stages = _stages(services, client)
            stage = stages.get(deal.properties.get("dealstage") or "")
            if stage is None or not stage.closed:
                continue
            closed_at = moment(deal.properties.get("closedate"), modified_at).isoformat()
            if stage.won:
                amount = _amount(deal.properties.get("amount"))
                if amount is None:
                    logger.warning("HubSpot deal %s is won without an amount: not counted", deal_id)
                    continue
                events.append(
                    {
                        "id": f"hs-deal-{deal_id}-won",
                        "type": "lead.won",
                        "occurred_at": closed_at,
                        "lead": ref,
                        "amount": str(amount),
                    }
                )
            else:
                events.append(
                    {
                        "id": f"hs-deal-{deal_id}-lost",
                        "type": "lead.lost",
                        "occurred_at": closed_at,
                        "lead": ref,
                        "reason": f"Deal {deal.properties.get('dealname') or deal_id} closed lost",
                    }
                )
        for kind in ENGAGEMENTS:
            for engagement_id in record.associations.get(kind, []):
                event_id = f"hs-{kind}-{engagement_id}"
                if engagement_id in written or logged(event_id):
                    continue  # the bot's own write-back, or read before
                engagement = client.engagement(kind, engagement_id, ["hs_timestamp", BODY[kind]])
                note = (engagement.properties.get(BODY[kind]) or "").strip()[:1000]
                events.append(
                    {
                        "id": event_id,
                        "type": "lead.touched",
                        "occurred_at": moment(
                            engagement.properties.get("hs_timestamp"), modified_at
                        ).isoformat(),
                        "lead": ref,
                        "channel": CHANNEL_OF[kind],
                        **({"note": note} if note else {}),
                    }
                )
    return events


# HubSpot owner id → e-mail, asked of the Owners API once an hour per process: a backfill of
# thousands of contacts has a handful of owners.
_OWNERS: dict[str, tuple[str | None, datetime]] = {}
OWNER_FRESH_FOR = timedelta(hours=1)


def _owner_email(client: HubSpotClient, owner_id: str, *, now: datetime) -> str | None:
    kept = _OWNERS.get(owner_id)
    if kept is not None and now - kept[1] < OWNER_FRESH_FOR:
        return kept[0]
    email = client.owner_email(owner_id)
    _OWNERS[owner_id] = (email, now)
    return email


def _differs(lead: Lead, name: str, value: object) -> bool:
    if name in {"fit", "interest"}:
        score = 100 if value == "high" else 0 if value == "low" else value
        return bool(getattr(lead, name) != score)
    return bool(getattr(lead, name) != value)


def _amount(value: str | None) -> Decimal | None:
    try:
        amount = Decimal(value or "")
    except InvalidOperation:
        return None
    return amount.quantize(Decimal("0.01")) if amount > 0 else None


def _valid(raw: dict[str, Any]) -> LeadEventIn | None:
    """The event, checked as any CRM's is; a field HubSpot holds that the API would refuse
    (an e-mail that is not one) is left out rather than losing the lead."""
    for _ in range(3):
        try:
            return EVENT.validate_python(raw)
        except ValidationError as error:
            bad = {
                str(problem["loc"][2])
                for problem in error.errors()
                if len(problem["loc"]) > 2 and problem["loc"][1] == "lead"
            }
            lead = raw.get("lead", {})
            if not bad or not bad.isdisjoint({"external_id"}):
                logger.warning("HubSpot event %s not stored: %s", raw.get("id"), error)
                return None
            raw = raw | {"lead": {key: value for key, value in lead.items() if key not in bad}}
    return None


def _stages(services: Services, client: HubSpotClient) -> dict[str, Stage]:
    """Deal stages and what they mean, from the pipelines' metadata (kept for a day)."""
    now = services.clock.now()
    with services.db.session() as session:
        kept = hubspot.state(session, STAGES)
    if kept and datetime.fromisoformat(kept["at"]) > now - timedelta(days=1):
        return {key: Stage(**value) for key, value in kept["stages"].items()}
    stages = client.deal_stages()
    with services.db.session() as session:
        hubspot.set_state(
            session,
            STAGES,
            {
                "at": now.isoformat(),
                "stages": {key: {"closed": s.closed, "won": s.won} for key, s in stages.items()},
            },
            now=now,
        )
    return stages


# --- backfill and catch-up ----------------------------------------------------------------


@dataclass
class SyncRun:
    contacts: int = 0
    stored: int = 0
    since: datetime | None = None


async def sync(
    services: Services,
    *,
    since: datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncRun:
    """Read every contact changed since `since` (else since the last sync's cursor, else all)
    and store what the log lacks. The cursor moves only when the run completes."""
    started = services.clock.now()
    with services.db.session() as session:
        cursor = hubspot.state(session, CURSOR)
    floor = int(since.timestamp() * 1000) if since else int(cursor or 0)
    run = SyncRun(since=datetime.fromtimestamp(floor / 1000, tz=UTC) if floor else None)
    client = client_for(services.settings)
    try:
        stages = await services.in_thread(_stages, services, client)
        changed = await services.in_thread(
            lambda: list(client.changed_contacts(floor, ["lastmodifieddate"]))
        )
        for record in changed:
            run.stored += await apply_contact(services, client, record.id, stages=stages)
            run.contacts += 1
            if on_progress:
                on_progress(run.contacts, len(changed))
    finally:
        client.close()
    with services.db.session() as session:
        hubspot.set_state(session, CURSOR, int(started.timestamp() * 1000), now=started)
        hubspot.set_state(session, LAST_SYNC, started.isoformat(), now=started)
    return run


# --- what /smarketing hubspot shows -------------------------------------------------------


@dataclass(frozen=True)
class HubSpotStatus:
    on: bool
    last_webhook_at: datetime | None
    last_sync_at: datetime | None
    events_waiting: int
    write_backs_pending: int
    write_backs_failed: int
    failures: list[tuple[str, str]]  # (lead, reason), newest first
    property_names: PropertyNames
    problem: str | None  # why the connection does not work, when it does not


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def status(services: Services, *, check: bool = True) -> HubSpotStatus:
    settings = services.settings
    with services.db.session() as session:
        counts = hubspot.outbox_counts(session)
        failures = [
            (row.lead_external_id, row.error or "")
            for row in hubspot.failed_write_backs(session, limit=5)
        ]
        last_webhook = _when(hubspot.state(session, LAST_WEBHOOK))
        last_sync = _when(hubspot.state(session, LAST_SYNC))
        waiting = hubspot.inbox_waiting(session)
    problem = None
    if not settings.hubspot_on:
        problem = "off: set HUBSPOT_ACCESS_TOKEN (a private app's token) on the server"
    elif settings.hubspot_client_secret is None:
        problem = "webhooks refused: set HUBSPOT_CLIENT_SECRET (the app's client secret)"
    elif check:
        client = client_for(settings)
        try:
            client.contact("0", ["email"])
        except HubSpotError as error:
            if not error.not_found:
                problem = _why(error)
        finally:
            client.close()
    return HubSpotStatus(
        on=settings.hubspot_on,
        last_webhook_at=last_webhook,
        last_sync_at=last_sync,
        events_waiting=waiting,
        write_backs_pending=counts.pending,
        write_backs_failed=counts.failed,
        failures=failures,
        property_names=names(settings),
        problem=problem,
    )


def trouble(session: Session) -> str | None:
    """One line for admins' App Home when the connector needs someone, else None (the store
    alone is read: App Home does not wait on HubSpot)."""
    counts = hubspot.outbox_counts(session)
    stuck = hubspot.inbox_stuck(session)
    if not counts.failed and not stuck:
        return None
    parts = []
    if counts.failed:
        lead, reason = next(
            (
                (row.lead_external_id, row.error or "")
                for row in hubspot.failed_write_backs(session, limit=1)
            ),
            ("", ""),
        )
        parts.append(f"{counts.failed} write-back(s) failed (latest {lead}: {reason})")
    if stuck:
        parts.append(f"{stuck} webhook event(s) keep failing")
    return "HubSpot: " + "; ".join(parts) + ". `/smarketing hubspot` for details."


def _why(error: HubSpotError) -> str:
    if error.status == 401:
        return "HubSpot refuses the token: check HUBSPOT_ACCESS_TOKEN"
    if error.status == 403:
        return f"a scope is missing: {error.message}"
    if error.status == 0:
        return f"HubSpot does not answer at {error.message}"
    return str(error)
