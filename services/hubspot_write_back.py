"""What reps do in Slack, written back to HubSpot (DESIGN §4 "Back"): queued in the
transaction that stores the lead event, sent by a job, never twice, never for what came from
HubSpot."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from connectors.hubspot.client import HubSpotClient, HubSpotError
from connectors.hubspot.mapping import (
    ACCEPTED_STAGE,
    ENGAGEMENT_OF,
    LIFECYCLE,
    TITLE,
    UNQUALIFIED,
    contact_id,
    engagement_properties,
)
from services.config import Settings
from services.context import Services
from storage import hubspot
from storage.events import NewEvent
from storage.models import HubSpotOutbox

logger = logging.getLogger("smarketing.hubspot")

ORIGIN = "hubspot"  # events that came from HubSpot: never written back
WRITTEN_BACK = "slack"  # what reps did in Slack; a CRM's own events (the API, a CSV) are its own
HOLD = timedelta(minutes=2)  # how long a claimed write-back is someone's


def client_for(settings: Settings) -> HubSpotClient:
    token = settings.hubspot_access_token
    assert token is not None, "the HubSpot connector is off"
    return HubSpotClient(
        settings.hubspot_api_url,
        token.get_secret_value(),
        timeout=settings.hubspot_timeout_seconds,
    )


def _marker(key: str) -> str:
    return f"[smarketing {key}]"


def queue(session: Session, events: Sequence[NewEvent], *, now: datetime) -> None:
    """Queue the write-backs of events just stored, in the caller's transaction."""
    for event in events:
        contact = contact_id(event.lead_external_id)
        if contact is None or event.origin != WRITTEN_BACK:
            continue
        for suffix, kind, request in _requests(event):
            hubspot.queue_write_back(
                session,
                key=event.event_id + suffix,
                lead_external_id=event.lead_external_id,
                contact_id=contact,
                kind=kind,
                request=request,
                now=now,
            )


def _requests(event: NewEvent) -> list[tuple[str, str, dict[str, Any]]]:
    """(key suffix, kind, request) of each write-back an event makes."""
    data, at = event.payload, event.occurred_at
    who = f" by <{event.actor_id}>" if event.actor_id else ""
    marker = _marker(event.event_id)
    if event.type == "lead.touched":
        channel = str(data.get("channel") or "call")
        kind = ENGAGEMENT_OF.get(channel, "notes")
        note = str(data.get("note") or "").strip()
        if kind == "notes":  # a note has no title: its body is what is looked up
            title = body = f"{channel.capitalize()} logged in Slack{who}: {note} {marker}"
        else:
            title, body = f"{channel.capitalize()} logged in Slack {marker}", note
        return [("", kind, {"title": title, "body": body, "at": at.isoformat()})]
    if event.type == "lead.accepted":
        return [("", "lifecycle", {"lifecyclestage": ACCEPTED_STAGE})]
    if event.type == "lead.rejected":
        reason = str(data.get("reason") or "")
        note = f"Rejected in Slack{who}: {reason} {marker}"
        return [
            ("", "lead_status", {"hs_lead_status": UNQUALIFIED}),
            (":note", "notes", {"title": note, "body": note, "at": at.isoformat()}),
        ]
    if event.type in ("lead.lost", "lead.recycled"):
        reason = str(data.get("reason") or "no reason given")
        what = "Lost" if event.type == "lead.lost" else "Recycled to marketing"
        note = f"{what} in Slack{who}: {reason} {marker}"
        return [("", "notes", {"title": note, "body": note, "at": at.isoformat()})]
    return []


@dataclass
class WriteBackRun:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def send_write_backs(services: Services, *, limit: int = 200) -> WriteBackRun:
    """Send what is due, oldest first; each claimed before it is sent."""
    run = WriteBackRun()
    if not services.settings.hubspot_on:
        return run
    now = services.clock.now()

    def due() -> list[HubSpotOutbox]:
        with services.db.session() as session:
            return hubspot.due_write_backs(session, now=now, limit=limit)

    rows = await services.in_thread(due)
    if not rows:
        return run
    client = client_for(services.settings)
    try:
        for row in rows:
            await services.in_thread(_send_one, services, client, row, run)
    finally:
        client.close()
    return run


def _send_one(
    services: Services, client: HubSpotClient, row: HubSpotOutbox, run: WriteBackRun
) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        if not hubspot.claim_write_back(session, row, until=now + HOLD):
            return  # another process has it
    assert row.id is not None
    try:
        created = _perform(client, row)
    except HubSpotError as error:
        with services.db.session() as session:
            if error.permanent:
                reason = (
                    "the contact was deleted in HubSpot"
                    if error.not_found or _contact_gone(client, row.contact_id)
                    else f"HubSpot refused it: {error.category} ({error.message})"
                )
                hubspot.settle_write_back(session, row.id, status="failed", now=now, error=reason)
                run.failed += 1
                logger.warning("HubSpot write-back %s failed for good: %s", row.key, reason)
                return
            hubspot.settle_write_back(
                session,
                row.id,
                status="pending",
                now=now,
                error=str(error),
                next_attempt_at=now + error.wait(row.attempts),
            )
        run.retrying += 1
        return
    with services.db.session() as session:
        hubspot.settle_write_back(session, row.id, status="sent", now=now, hubspot_id=created)
    run.sent += 1


def _contact_gone(client: HubSpotClient, contact_id: str) -> bool:
    """HubSpot refuses an engagement on a deleted contact as an invalid association (400):
    asked, so that admins read why."""
    try:
        client.contact(contact_id, ["email"])
    except HubSpotError as error:
        return error.not_found
    return False


def _perform(client: HubSpotClient, row: HubSpotOutbox) -> str | None:
    request = row.request
    if row.kind == "lifecycle":
        current = client.contact(row.contact_id, ["lifecyclestage"]).properties.get(
            "lifecyclestage"
        )
        wanted = str(request["lifecyclestage"])
        if current in LIFECYCLE and LIFECYCLE.index(current) >= LIFECYCLE.index(wanted):
            return None  # stages only move forward
        client.update_contact(row.contact_id, {"lifecyclestage": wanted})
        return None
    if row.kind == "lead_status":
        client.update_contact(row.contact_id, {"hs_lead_status": str(request["hs_lead_status"])})
        return None
    kind = row.kind
    title = str(request["title"])
    if row.attempts > 0:  # an earlier try may have reached HubSpot: look before posting again
        found = client.find_engagement(kind, TITLE[kind], title)
        if found is not None:
            return found
    properties = engagement_properties(
        kind,
        title=title,
        body=str(request["body"]),
        at=datetime.fromisoformat(str(request["at"])),
        owner_id=None,
    )
    return client.create_engagement(kind, properties, row.contact_id).id
