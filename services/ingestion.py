"""Storing lead events however they arrive (API, CSV, Slack): owners resolved through Slack,
then the batch written in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import IntegrityError

from domain.lead_state import normalize_email
from services import duplicate_notices, hubspot_write_back, speed_to_lead
from services.context import Services
from services.lead_events import LeadAssigned, LeadEventIn, UnmatchedOwner, event_payloads
from storage import members, workspace
from storage.events import NewEvent, StoreResult, store_events

logger = logging.getLogger("smarketing.ingest")


class SlackUnavailable(RuntimeError):
    """Slack could not be asked who an owner is; nothing was stored, the sender should retry."""


@dataclass
class Ingested:
    result: StoreResult
    unmatched: list[UnmatchedOwner] = field(default_factory=list)


async def resolve_owners(services: Services, emails: set[str]) -> dict[str, str | None]:
    """E-mail → Slack user id (None when Slack knows no such user); Slack is asked once each."""
    now = services.clock.now()

    def cached() -> dict[str, str | None]:
        with services.db.session() as session:
            return members.cached_owner_ids(session, emails=emails, now=now)

    known = await services.in_thread(cached)
    for email in sorted(emails - set(known)):
        try:
            response = await services.client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                raise SlackUnavailable(
                    f"users.lookupByEmail failed: {error.response.get('error')}"
                ) from error
            known[email] = None
            await services.in_thread(_remember, services, email, None, None, None)
            continue
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise SlackUnavailable(f"users.lookupByEmail failed: {type(error).__name__}") from error
        user = response["user"]
        known[email] = user["id"]
        await services.in_thread(
            _remember,
            services,
            email,
            user["id"],
            user.get("real_name") or user.get("name"),
            user.get("tz"),
        )
    return known


def _remember(
    services: Services, email: str, user_id: str | None, name: str | None, tz: str | None
) -> None:
    with services.db.session() as session:
        members.remember_owner(
            session, email=email, slack_user_id=user_id, name=name, tz=tz, now=services.clock.now()
        )


async def ingest(
    services: Services,
    events: Sequence[LeadEventIn],
    *,
    origin: str,
    actor_id: str | None = None,
) -> Ingested:
    """Resolve owners, then store the whole batch or nothing."""
    emails = {
        email
        for event in events
        if isinstance(event, LeadAssigned)
        and event.owner.slack_user_id is None
        and (email := normalize_email(event.owner.email))
    }
    owners = await resolve_owners(services, emails) if emails else {}
    unmatched: list[UnmatchedOwner] = []
    new_events: list[NewEvent] = []
    for index, (event, payload) in enumerate(zip(events, event_payloads(events), strict=True)):
        if isinstance(event, LeadAssigned):
            email = normalize_email(event.owner.email)
            owner_id = event.owner.slack_user_id or (owners.get(email) if email else None)
            payload["owner_id"] = owner_id
            payload["owner_email"] = None if owner_id else email
            if owner_id is None and email is not None:
                unmatched.append(UnmatchedOwner(index=index, event_id=event.id, email=email))
        new_events.append(
            NewEvent(
                event_id=event.id,
                type=event.type,
                lead_external_id=event.lead.external_id,
                occurred_at=event.occurred_at,
                origin=origin,
                payload=payload,
                actor_id=actor_id,
            )
        )
    if unmatched:
        logger.warning(
            "%d assignment(s) name an owner e-mail no Slack user has; those leads stay unassigned",
            len(unmatched),
        )
    return Ingested(
        result=await services.in_thread(store, services, new_events), unmatched=unmatched
    )


def store(services: Services, new_events: Sequence[NewEvent]) -> StoreResult:
    """One transaction; if a concurrent batch stored one of these ids first, try once more,
    and the repeat is then seen as a duplicate."""
    for attempt in (1, 2):
        try:
            with services.db.session(write_lock=True) as session:
                result = store_events(
                    session,
                    events=new_events,
                    rules=workspace.rules(session),
                    now=services.clock.now(),
                )
                # In this transaction: never the event without what it sets off.
                stored = _stored(new_events, result)
                set_off = speed_to_lead.set_off(stored, result)
                speed_to_lead.queue(session, set_off, now=services.clock.now())
                duplicate_notices.queue(session, set_off, now=services.clock.now())
                if services.settings.hubspot_on:
                    hubspot_write_back.queue(session, stored, now=services.clock.now())
                return result
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _stored(events: Sequence[NewEvent], result: StoreResult) -> list[NewEvent]:
    stored = set(result.stored)
    return [event for event in events if event.event_id in stored]
