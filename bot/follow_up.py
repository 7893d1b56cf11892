"""The follow-up jobs: nudges to reps and escalations to managers (DESIGN §3, §5).

Each run plans from the projection (domain/follow_up.py), then sends one direct message per
person through `bot.delivery.post_once`: the key names the person, the day and the leads, so
a second run or a second copy planning the same message posts it once, and the leads it
lists are recorded as nudged (or escalated) in the same transaction that marks it sent. One
person Slack cannot reach (left the workspace, DMs closed) is logged and remembered, and the
run goes on for everyone else. Sends go one after another: Slack's 429s are waited out
(Retry-After) by the client's retry handler, so a run with thousands of people slows down
rather than fails.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.delivery import OnSent, Outcome, Status, in_session, post_once
from bot.services import Services
from bot.views.follow_up import escalation_message, nudge_message
from bot.views.messages import Message
from domain.cadence import SalesSla
from domain.follow_up import (
    Escalation,
    FollowUpLead,
    Nudge,
    batch_key,
    plan_escalations,
    plan_nudges,
)
from storage import follow_up, members, workspace

logger = logging.getLogger("smarketing.follow_up")

NUDGE, ESCALATION = "nudge", "escalation"  # delivery kinds
ZONE_FRESH_FOR = timedelta(days=1)  # a time zone from users.info is asked again after this
UNREACHABLE = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}


@dataclass
class FollowUpRun:
    """What one run did: messages per outcome, the people it could not reach and why."""

    planned: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # person → Slack's reason
    texts: list[str] = field(default_factory=list)  # --dry-run: the messages, as text

    def count(self, status: Status) -> int:
        return sum(outcome.status is status for outcome in self.outcomes)

    def describe(self) -> str:
        parts = [f"{self.planned} planned"]
        parts += [f"{self.count(status)} {status.value}" for status in Status if self.count(status)]
        if self.unreachable:
            parts.append(f"{len(self.unreachable)} unreachable")
        return ", ".join(parts)


async def run_nudges(services: Services, *, dry_run: bool = False) -> FollowUpRun:
    """One DM per rep at work with overdue leads not nudged in 24 h (plus, on the morning's
    first run, the touches due later today)."""
    now = services.clock.now()
    sla, leads = await in_session(services, _read_leads, now + timedelta(days=1))
    run = FollowUpRun()
    zones = await _zones(services, {lead.owner_id for lead in leads}, run, now=now)
    morning = timedelta(minutes=services.settings.smarketing_nudge_minutes)
    nudges = plan_nudges(leads, now=now, zones=zones, morning=morning)
    run.planned = len(nudges)
    for nudge in nudges:
        message = nudge_message(nudge, sla=sla)
        if dry_run:
            run.texts.append(f"to @{nudge.rep_id}: {message.text}")
            continue
        day = now.astimezone(zones[nudge.rep_id]).date()
        key = batch_key(NUDGE, nudge.rep_id, [*nudge.overdue, *nudge.due_today], day)
        nudged = [lead.external_id for lead in nudge.overdue]

        def record(session: Session, nudged: Sequence[str] = nudged) -> None:
            follow_up.record_nudged(session, lead_ids=nudged, at=now)

        await _send(
            services, run, person=nudge.rep_id, key=key, kind=NUDGE, message=message, on_sent=record
        )
    return run


async def run_escalations(services: Services, *, dry_run: bool = False) -> FollowUpRun:
    """One DM per manager (or admin, for reps without one) listing, by rep, the leads overdue
    longer than the sales SLA's E hours, or snoozed a third time; once per lead and breach."""
    now = services.clock.now()
    sla, leads = await in_session(services, _read_leads, now)
    owners = {lead.owner_id for lead in leads}
    managers = await in_session(services, _managers, owners)
    admins = sorted(services.settings.smarketing_admins)
    run = FollowUpRun()
    recipients = {m for m in managers.values() if m is not None} | set(admins[:1])
    zones = await _zones(services, recipients, run, now=now)
    escalations = plan_escalations(
        leads,
        now=now,
        escalate_after=timedelta(hours=sla.escalate_after_hours),
        managers=managers,
        admins=admins,
        zones=zones,
    )
    run.planned = len(escalations)
    for escalation in escalations:
        message = escalation_message(
            escalation, sla=sla, escalate_after_hours=sla.escalate_after_hours
        )
        if dry_run:
            run.texts.append(f"to @{escalation.manager_id}: {message.text}")
            continue
        day = now.astimezone(zones[escalation.manager_id]).date()
        key = batch_key(ESCALATION, escalation.manager_id, escalation.leads, day)
        breaches = [(lead.external_id, lead.next_touch_due) for lead in escalation.leads]

        def record(session: Session, breaches: Sequence[tuple[str, datetime]] = breaches) -> None:
            follow_up.record_escalated(session, breaches=breaches, at=now)

        await _send(
            services,
            run,
            person=escalation.manager_id,
            key=key,
            kind=ESCALATION,
            message=message,
            on_sent=record,
        )
    if any(escalation.to_admin for escalation in escalations):
        logger.info("escalations for reps without a manager went to admin %s", admins[0])
    return run


async def _send(
    services: Services,
    run: FollowUpRun,
    *,
    person: str,
    key: str,
    kind: str,
    message: Message,
    on_sent: OnSent,
) -> None:
    channel = await _open_dm(services, person, run)
    if channel is None:
        return
    outcome = await post_once(
        services, key=key, kind=kind, channel=channel, late=False, message=message, on_sent=on_sent
    )
    run.outcomes.append(outcome)
    if outcome.status is Status.FAILED and outcome.error in UNREACHABLE:
        await _unreachable(services, run, person, outcome.error or "")


async def _open_dm(services: Services, person: str, run: FollowUpRun) -> str | None:
    try:
        opened = await services.client.conversations_open(users=person)
    except SlackApiError as error:
        code = str(error.response.get("error") or "error")
        if code in UNREACHABLE:
            await _unreachable(services, run, person, code)
        else:  # Slack down for a moment: the next run tries again
            logger.warning("could not open a DM with %s (%s); the next run retries", person, code)
            run.outcomes.append(Outcome(Status.WILL_RETRY, None, person, error=code))
        return None
    except (ClientError, TimeoutError, OSError) as error:
        logger.warning(
            "could not open a DM with %s (%s); the next run retries", person, type(error).__name__
        )
        run.outcomes.append(Outcome(Status.WILL_RETRY, None, person, error=type(error).__name__))
        return None
    return str((opened.get("channel") or {}).get("id") or person)


async def _unreachable(services: Services, run: FollowUpRun, person: str, reason: str) -> None:
    """Remember that Slack cannot reach this person (settings and admins see it) and go on."""
    run.unreachable[person] = reason
    logger.warning(
        "cannot message %s: Slack said %s; the run goes on for everyone else", person, reason
    )

    def remember(session: Session) -> None:
        row = members.upsert_member(session, slack_user_id=person, now=services.clock.now())
        row.deactivated = True
        session.commit()

    await in_session(services, remember)


# ---------------------------------------------------------------------------- reading


def _read_leads(session: Session, until: datetime) -> tuple[SalesSla, list[FollowUpLead]]:
    return workspace.sales_sla(session), follow_up.due_before(session, until=until)


def _managers(session: Session, owners: set[str]) -> dict[str, str | None]:
    found = follow_up.people(session, owners)
    return {owner: (found[owner].manager_id if owner in found else None) for owner in owners}


async def _zones(
    services: Services, people: set[str], run: FollowUpRun, *, now: datetime
) -> dict[str, tzinfo]:
    """Each person's time zone: from the members table while fresh, else `users.info` (then
    remembered). People Slack does not know, or who left, are reported, not guessed at."""
    known = await in_session(services, follow_up.people, people)
    zones: dict[str, tzinfo] = {}
    for person in sorted(people):
        member = known.get(person)
        if member is not None and member.deactivated and now - member.updated_at < ZONE_FRESH_FOR:
            # Slack said lately that this person cannot be reached; asked again after a day.
            run.unreachable[person] = "deactivated"
            continue
        if member is not None and member.tz and now - member.updated_at < ZONE_FRESH_FOR:
            zone = _zone(member.tz)
            if zone is not None:
                zones[person] = zone
                continue
        asked = await _ask_zone(services, person, run, now=now)
        if asked is not None:
            zones[person] = asked
    return zones


async def _ask_zone(
    services: Services, person: str, run: FollowUpRun, *, now: datetime
) -> tzinfo | None:
    try:
        response = await services.client.users_info(user=person)
    except SlackApiError as error:
        code = str(error.response.get("error") or "error")
        if code in UNREACHABLE:
            await _unreachable(services, run, person, code)
        else:
            logger.warning("users.info for %s failed (%s); they are skipped this run", person, code)
        return None
    except (ClientError, TimeoutError, OSError) as error:
        logger.warning(
            "users.info for %s failed (%s); skipped this run", person, type(error).__name__
        )
        return None
    user = response.get("user") or {}
    if user.get("deleted"):
        await _unreachable(services, run, person, "deactivated")
        return None
    tz_name = str(user.get("tz") or "UTC")

    def remember(session: Session) -> None:
        member = members.upsert_member(
            session, slack_user_id=person, now=now, tz=tz_name, name=user.get("real_name")
        )
        member.deactivated = False  # reachable again (reactivated, or a passing failure)
        session.commit()

    await in_session(services, remember)
    return _zone(tz_name)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


__all__ = ["Escalation", "FollowUpRun", "Nudge", "run_escalations", "run_nudges"]
