"""The follow-up jobs: nudges to reps and escalations to managers (DESIGN §3, §5).

Each run plans from the projection (domain/follow_up_records.py), then sends one direct message per
person through `services.posting.post_once`: the key names the person, the day and the leads, so
a second run or a second copy planning the same message posts it once, and the leads it
lists are recorded as nudged (or escalated) in the same transaction that marks it sent. A
message that may have reached Slack unconfirmed (a send that timed out) is looked for in the
DM before the next run plans, so its leads are not listed again even when the set changed
meanwhile and the new message gets another key. One person Slack cannot reach (left the
workspace, DMs closed) is logged and remembered, and the run goes on for everyone else.
Sends go one after another: Slack's 429s are waited out (Retry-After) by the client's retry
handler, so a run with thousands of people slows down rather than fails.

Within Slack's tiers: a DM is one `chat.postMessage` to the person's user id (no
`conversations.open`); time zones come from the members table, refreshed from `users.list`
pages (Tier 2, 200 people a call) when many are stale, `users.info` (Tier 4) only for the few.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from blocks.message import Message
from blocks.nudge_message import (
    duplicate_message,
    escalation_message,
    nudge_message,
    speed_message,
)
from domain.cadence import SalesSla
from domain.follow_up import (
    RENUDGE_AFTER,
    Escalation,
    FollowUpLead,
    FreshLead,
    Nudge,
    batch_key,
    batch_recipient,
    in_working_hours,
    plan_escalations,
    plan_nudges,
)
from services import duplicate_notices, speed_to_lead
from services.context import Services
from services.people import (
    UNREACHABLE,
    ZONE_FRESH_FOR,
    RightsUnknown,
    slack_user,
    zone_named,
)
from services.posting import (
    CLAIMANT,
    HISTORY_MARGIN,
    OnSent,
    Outcome,
    Status,
    find_posted,
    in_session,
    post_once,
)
from storage import follow_up_records, members, postings, workspace
from storage.models import Lead

logger = logging.getLogger("smarketing.follow_up")

NUDGE, ESCALATION = "nudge", "escalation"  # posting kinds
# More people than this with no fresh time zone: read users.list pages (Tier 2) once instead of
# users.info (Tier 4) for each.
LIST_WHEN_STALE = 20
USERS_PAGE = 200  # people per users.list page (Slack recommends at most 200)


@dataclass
class FollowUpRun:
    """What one run did: messages per outcome, the people it could not reach and why."""

    planned: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # person → Slack's reason
    # --dry-run: the messages as text, and to whom what. Left out of repr(): asyncio.run, in
    # the main thread, formats its finished task (with this result) when it puts the Ctrl-C
    # handler back, and a thousand Block Kit messages took seconds to format.
    texts: list[str] = field(default_factory=list, repr=False)
    drafts: list[tuple[str, Message]] = field(default_factory=list, repr=False)

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
    until = now + timedelta(days=1)
    sla, leads = await in_session(services, _read_leads, until)
    run = FollowUpRun()
    zones = await _zones(services, {lead.owner_id for lead in leads}, run, now=now)
    morning = timedelta(minutes=services.settings.smarketing_nudge_minutes)
    busy: set[str] = set()
    if not dry_run:

        def listed(moment: datetime, rep: str) -> list[FollowUpLead]:
            theirs = [lead for lead in leads if lead.owner_id == rep]
            planned = plan_nudges(theirs, now=moment, zones=zones, morning=morning, sla=sla)
            return [lead for nudge in planned for lead in nudge.overdue]

        busy, found = await _settle(services, run, kind=NUDGE, now=now, listed=listed)
        if found:  # their leads are nudged now: read them again
            sla, leads = await in_session(services, _read_leads, until)
    nudges = [
        nudge
        for nudge in plan_nudges(leads, now=now, zones=zones, morning=morning, sla=sla)
        if nudge.rep_id not in busy
    ]
    run.planned = len(nudges)
    for nudge in nudges:
        message = nudge_message(nudge, sla=sla)
        if dry_run:
            run.texts.append(f"to @{nudge.rep_id}: {message.text}")
            run.drafts.append((nudge.rep_id, message))
            continue
        day = now.astimezone(zones[nudge.rep_id]).date()
        key = batch_key(NUDGE, nudge.rep_id, [*nudge.overdue, *nudge.due_today], day)

        def record(session: Session, nudged: Sequence[FollowUpLead] = nudge.overdue) -> None:
            _record(NUDGE, session, nudged, now)

        await _send(
            services, run, person=nudge.rep_id, key=key, kind=NUDGE, message=message, on_sent=record
        )
    return run


@dataclass(frozen=True)
class _Queued:
    """A direct message queued by an event (services.speed_to_lead, services.duplicate_notices):
    its key, to whom, and what to say; no message when it no longer applies."""

    key: str
    owner_id: str
    message: Message | None


async def run_speed_to_lead(services: Services, *, dry_run: bool = False) -> FollowUpRun:
    """Send the speed-to-lead messages queued by assignments (services.speed_to_lead): each
    to its owner in their working hours, else left for the first run after 09:00 there; one
    whose lead was touched, closed or given to someone else meanwhile is dropped."""
    now = services.clock.now()

    def planned(session: Session) -> list[_Queued]:
        return [
            _Queued(item.key, item.owner_id, _speed(item.lead, item.owner_id))
            for item in speed_to_lead.waiting(session, now=now, limit=200)
        ]

    queued = await in_session(services, planned)
    return await _send_queued(services, queued, kind=speed_to_lead.KIND, dry_run=dry_run)


def _speed(lead: Lead | None, owner_id: str) -> Message | None:
    """The message for a lead still waiting for its first touch; None when it no longer is."""
    if lead is None:
        return None
    return speed_message(
        FreshLead(
            external_id=lead.external_id,
            owner_id=owner_id,
            name=lead.name,
            company=lead.company,
            fit=lead.fit,
            interest=lead.interest,
            source=lead.source,
            campaign=lead.campaign,
            first_touch_due=lead.next_touch_due,
        )
    )


async def run_duplicate_notices(services: Services, *, dry_run: bool = False) -> FollowUpRun:
    """Tell the owner of each newly owned duplicate, once, which lead it duplicates and whose
    that one is (services.duplicate_notices), in their working hours."""

    def planned(session: Session) -> list[_Queued]:
        return [
            _Queued(item.key, item.owner_id, _notice(item))
            for item in duplicate_notices.waiting(session, limit=200)
        ]

    queued = await in_session(services, planned)
    return await _send_queued(services, queued, kind=duplicate_notices.KIND, dry_run=dry_run)


def _notice(item: duplicate_notices.Notice) -> Message | None:
    """The notice for a lead still an owned duplicate; None when it no longer is."""
    if item.lead is None or item.original is None:
        return None
    return duplicate_message(item.lead, item.original)


async def _send_queued(
    services: Services, queued: list[_Queued], *, kind: str, dry_run: bool
) -> FollowUpRun:
    """Each queued message to its owner inside their working hours (the rest wait for a later
    run); one that no longer applies is dropped, never sent."""
    now = services.clock.now()
    run = FollowUpRun()
    for item in queued:
        if item.message is None and not dry_run:
            await in_session(services, _drop, item.key, kind, now)
    ready = [item for item in queued if item.message is not None]
    zones = await _zones(services, {item.owner_id for item in ready}, run, now=now)
    for item in ready:
        zone = zones.get(item.owner_id)
        if item.message is None or zone is None or not in_working_hours(now, zone):
            continue  # out of hours (or unreachable, reported): a later run sends it
        run.planned += 1
        if dry_run:
            run.texts.append(f"to @{item.owner_id}: {item.message.text}")
            continue
        await _send(
            services,
            run,
            person=item.owner_id,
            key=item.key,
            kind=kind,
            message=item.message,
            on_sent=_nothing,
        )
    return run


def _nothing(session: Session) -> None:
    """A queued message records nothing beyond its posting."""


def _drop(session: Session, key: str, kind: str, now: datetime) -> None:
    if postings.claim(session, key=key, kind=kind, channel=None, claimant=CLAIMANT, now=now):
        postings.mark_failed(
            session, key=key, claimant=CLAIMANT, now=now, error=follow_up_records.SUPERSEDED
        )
    session.commit()


async def run_escalations(services: Services, *, dry_run: bool = False) -> FollowUpRun:
    """One DM per manager (or admin, for reps without one or whose manager left) listing, by
    rep, the leads overdue longer than the sales SLA's E hours, or snoozed a third time; once
    per lead and breach."""
    now = services.clock.now()
    sla, leads = await in_session(services, _read_leads, now)
    owners = {lead.owner_id for lead in leads}
    managers = await in_session(services, _managers, owners)
    run = FollowUpRun()
    recipients = {m for m in managers.values() if m is not None}
    recipients |= services.settings.smarketing_admins
    zones = await _zones(services, recipients, run, now=now)
    # A manager Slack cannot reach (they left) is as good as none: an admin hears instead.
    managers = {rep: None if m in run.unreachable else m for rep, m in managers.items()}
    admins = sorted(services.settings.smarketing_admins - set(run.unreachable))
    escalate_after = timedelta(hours=sla.escalate_after_hours)

    def plan(moment: datetime, leads: Sequence[FollowUpLead]) -> list[Escalation]:
        return plan_escalations(
            leads,
            now=moment,
            escalate_after=escalate_after,
            managers=managers,
            admins=admins,
            zones=zones,
        )

    busy: set[str] = set()
    if not dry_run:

        def listed(moment: datetime, manager: str) -> list[FollowUpLead]:
            planned = plan(moment, leads)
            return [lead for e in planned if e.manager_id == manager for lead in e.leads]

        busy, found = await _settle(services, run, kind=ESCALATION, now=now, listed=listed)
        if found:
            sla, leads = await in_session(services, _read_leads, now)
    escalations = [e for e in plan(now, leads) if e.manager_id not in busy]
    run.planned = len(escalations)
    for escalation in escalations:
        message = escalation_message(
            escalation, sla=sla, escalate_after_hours=sla.escalate_after_hours
        )
        if dry_run:
            run.texts.append(f"to @{escalation.manager_id}: {message.text}")
            run.drafts.append((escalation.manager_id, message))
            continue
        day = now.astimezone(zones[escalation.manager_id]).date()
        key = batch_key(ESCALATION, escalation.manager_id, escalation.leads, day)

        def record(session: Session, leads: Sequence[FollowUpLead] = escalation.leads) -> None:
            _record(ESCALATION, session, leads, now)

        await _send(
            services,
            run,
            person=escalation.manager_id,
            key=key,
            kind=ESCALATION,
            message=message,
            on_sent=record,
        )
    to_admins = sorted({e.manager_id for e in escalations if e.to_admin})
    if to_admins:
        logger.info("escalations for reps without a manager went to %s", ", ".join(to_admins))
    return run


def _record(kind: str, session: Session, leads: Sequence[FollowUpLead], at: datetime) -> None:
    """What a message that reached its person did: its leads nudged, or their breaches
    escalated."""
    if kind == NUDGE:
        follow_up_records.record_nudged(
            session, lead_ids=[lead.external_id for lead in leads], at=at
        )
    else:
        breaches = [(lead.external_id, lead.next_touch_due) for lead in leads]
        follow_up_records.record_escalated(session, breaches=breaches, at=at)


async def _settle(
    services: Services,
    run: FollowUpRun,
    *,
    kind: str,
    now: datetime,
    listed: Callable[[datetime, str], list[FollowUpLead]],
) -> tuple[set[str], int]:
    """Before planning, earlier messages of this kind that may have reached Slack unconfirmed
    (a send that timed out, a 5xx, a process that died mid-send) are looked for in their
    channel by the key in their metadata. One found is recorded as sent and its leads — those
    `listed(its moment, person)` — as nudged or escalated, so this run does not list them a
    second time even if the leads changed meanwhile (new ones overdue, one touched from that
    very message), and counted as sent by this run; one not found is superseded by this
    run's message.

    Returns the people with a message still being sent by another run (left to it: planned
    again next run) and how many messages were found."""
    since = now - RENUDGE_AFTER
    rows = await in_session(
        services, lambda session: follow_up_records.unconfirmed(session, kind=kind, since=since)
    )
    busy: set[str] = set()
    found = 0
    for row in rows:
        person = batch_recipient(row.key)
        channel = row.channel or ""
        if not await in_session(services, _claim, row.key, kind, channel, now):
            busy.add(person)  # another run is sending it right now
            continue
        ts = await find_posted(
            services, channel=channel, key=row.key, since=row.created_at - HISTORY_MARGIN
        )
        if ts is None:
            await in_session(services, _supersede, row.key, now)
            continue
        leads = listed(row.created_at, person)
        await in_session(services, _found, kind, row.key, ts, leads, row.created_at, now)
        logger.info(
            "%s was posted before (found in the channel): recorded with its %d leads",
            row.key,
            len(leads),
        )
        run.outcomes.append(Outcome(Status.SENT, row.key, channel, message_ts=ts))
        found += 1
    return busy, found


def _claim(session: Session, key: str, kind: str, channel: str, now: datetime) -> bool:
    claimed = postings.claim(
        session, key=key, kind=kind, channel=channel, claimant=CLAIMANT, now=now
    )
    session.commit()
    return claimed is not None


def _supersede(session: Session, key: str, now: datetime) -> None:
    postings.mark_failed(
        session, key=key, claimant=CLAIMANT, now=now, error=follow_up_records.SUPERSEDED
    )
    session.commit()


def _found(
    session: Session,
    kind: str,
    key: str,
    ts: str,
    leads: Sequence[FollowUpLead],
    at: datetime,
    now: datetime,
) -> None:
    if postings.mark_sent(session, key=key, claimant=CLAIMANT, now=now, message_ts=ts):
        _record(kind, session, leads, at)
    session.commit()


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
    channel = _dm_channel(person)
    outcome = await post_once(
        services, key=key, kind=kind, channel=channel, late=False, message=message, on_sent=on_sent
    )
    run.outcomes.append(outcome)
    # Posted to a user id, a DM to someone Slack does not know answers channel_not_found.
    if outcome.status is Status.FAILED and outcome.error in {*UNREACHABLE, "channel_not_found"}:
        await _unreachable(services, run, person, outcome.error or "")


def _dm_channel(person: str) -> str:
    """Where a direct message goes: the person's user id. Slack posts it in the app's DM
    with them (its Messages tab), so no `conversations.open` (Tier 3, about 50 a minute) is
    needed per message; one Slack cannot deliver says so in the post's own answer."""
    return person


async def _unreachable(services: Services, run: FollowUpRun, person: str, reason: str) -> None:
    """Remember that Slack cannot reach this person (settings and admins see it) and go on."""
    run.unreachable[person] = reason
    logger.warning(
        "cannot message %s: Slack said %s; the run goes on for everyone else", person, reason
    )
    await _remember(services, person, now=services.clock.now(), deactivated=True)


# ---------------------------------------------------------------------------- reading


def _read_leads(session: Session, until: datetime) -> tuple[SalesSla, list[FollowUpLead]]:
    return workspace.sales_sla(session), follow_up_records.due_before(session, until=until)


def _managers(session: Session, owners: set[str]) -> dict[str, str | None]:
    found = follow_up_records.people(session, owners)
    return {owner: (found[owner].manager_id if owner in found else None) for owner in owners}


async def _zones(
    services: Services, people: set[str], run: FollowUpRun, *, now: datetime
) -> dict[str, tzinfo]:
    """Each person's time zone: from the members table while fresh, else `users.info` (then
    remembered). People Slack does not know, or who left, are reported, not guessed at."""
    known = await in_session(services, follow_up_records.people, people)
    stale = [
        person
        for person in people
        if (member := known.get(person)) is None or now - member.updated_at >= ZONE_FRESH_FOR
    ]
    if len(stale) > LIST_WHEN_STALE:
        # Many people to ask about: the workspace's pages of `users.list` (Tier 2, 200 people
        # a call) once, rather than `users.info` (Tier 4) once per person.
        await _refresh_people(services, set(stale), now=now)
        known = await in_session(services, follow_up_records.people, people)
    zones: dict[str, tzinfo] = {}
    for person in sorted(people):
        member = known.get(person)
        if member is not None and member.deactivated and now - member.updated_at < ZONE_FRESH_FOR:
            # Slack said lately that this person cannot be reached; asked again after a day.
            run.unreachable[person] = "deactivated"
            continue
        if member is not None and member.tz and now - member.updated_at < ZONE_FRESH_FOR:
            zone = zone_named(member.tz)
            if zone is not None:
                zones[person] = zone
                continue
        asked = await _ask_zone(services, person, run, now=now)
        if asked is not None:
            zones[person] = asked
    return zones


async def _refresh_people(services: Services, wanted: set[str], *, now: datetime) -> None:
    """Keep what `users.list` says of the people wanted: time zone, name, whether Slack can
    still reach them. A page Slack refuses ends the refresh; `users.info` covers the rest."""
    cursor: str | None = None
    try:
        while True:
            page = await services.client.users_list(limit=USERS_PAGE, cursor=cursor)
            seen = [
                (
                    str(user.get("id")),
                    user.get("tz"),
                    user.get("real_name") or (user.get("profile") or {}).get("real_name"),
                    bool(user.get("deleted")),
                )
                for user in page.get("members") or []
                if user.get("id") and not user.get("is_bot")
            ]
            await in_session(services, _keep_people, [one for one in seen if one[0] in wanted], now)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return
    except (SlackApiError, ClientError, TimeoutError, OSError) as error:
        logger.warning("users.list failed (%s); time zones asked one by one", error)


def _keep_people(
    session: Session, seen: list[tuple[str, str | None, str | None, bool]], now: datetime
) -> None:
    for user_id, tz, name, deleted in seen:
        member = members.upsert_member(session, slack_user_id=user_id, now=now, tz=tz, name=name)
        member.deactivated = deleted
    session.commit()


async def _ask_zone(
    services: Services, person: str, run: FollowUpRun, *, now: datetime
) -> tzinfo | None:
    try:
        user = await slack_user(services, person)
    except RightsUnknown as error:
        if str(error) in UNREACHABLE:
            await _unreachable(services, run, person, str(error))
        else:
            logger.warning("users.info for %s failed (%s); skipped this run", person, error)
        return None
    if user is None:
        await _unreachable(services, run, person, "user_not_found")
        return None
    if user.deleted:
        await _unreachable(services, run, person, "deactivated")
        return None
    tz_name = user.tz or "UTC"

    # Reachable again (reactivated, or a passing failure): no longer reported.
    await _remember(services, person, now=now, deactivated=False, tz=tz_name, name=user.name)
    return zone_named(tz_name)


async def _remember(
    services: Services,
    person: str,
    *,
    now: datetime,
    deactivated: bool,
    tz: str | None = None,
    name: str | None = None,
) -> None:
    """Keep what Slack said about a person. Two copies of the app meeting a new person at the
    same moment both insert them: the loser's insert fails, and its retry updates the row."""

    def write(session: Session) -> None:
        member = members.upsert_member(session, slack_user_id=person, now=now, tz=tz, name=name)
        member.deactivated = deactivated
        session.commit()

    try:
        await in_session(services, write)
    except IntegrityError:
        await in_session(services, write)


__all__ = ["Escalation", "FollowUpRun", "Nudge", "run_escalations", "run_nudges"]
