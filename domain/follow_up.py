"""Who is told about which overdue leads, and when (DESIGN §2, §3): nudges to reps inside their
working hours, escalations to managers once per lead and breach, snoozes.

Pure: each lead comes in with its follow-up record (last nudged, snoozed until, escalated for
which breach), each person with their time zone, and `now` is an argument.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from domain.cadence import SalesSla, needs_outcome

DEFAULT_SLA = SalesSla()
WORK_STARTS = time(9, 0)
WORK_ENDS = time(18, 0)
RENUDGE_AFTER = timedelta(hours=24)  # the same lead is not nudged again sooner
SNOOZES_BEFORE_ESCALATION = 3  # the third snooze of a lead escalates it
SHOWN_IN_FULL = 10  # leads a message lists in full; the rest are counted


def in_working_hours(now: datetime, tz: tzinfo) -> bool:
    """09:00–18:00, Monday to Friday, on the person's own clock."""
    local = now.astimezone(tz)
    return local.weekday() < 5 and WORK_STARTS <= local.time() < WORK_ENDS


def next_working_morning(now: datetime, tz: tzinfo) -> datetime:
    """The next 09:00 on a working day after `now`, in the person's zone (returned in UTC)."""
    local = now.astimezone(tz)
    day = local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, WORK_STARTS).replace(tzinfo=tz, fold=0).astimezone(UTC)


class Snooze(StrEnum):
    HOUR = "1h"
    TOMORROW = "tomorrow"
    WEEK = "week"

    def until(self, now: datetime, tz: tzinfo) -> datetime:
        if self is Snooze.HOUR:
            return now + timedelta(hours=1)
        if self is Snooze.TOMORROW:
            return next_working_morning(now, tz)
        return now + timedelta(days=7)

    @property
    def label(self) -> str:
        return {"1h": "1 hour", "tomorrow": "until tomorrow 09:00", "week": "a week"}[self.value]


@dataclass(frozen=True)
class FollowUpLead:
    """A lead in work with an owner, and what the bot has done about it so far."""

    external_id: str
    owner_id: str
    name: str | None
    company: str | None
    grade: str
    touches: int
    next_touch_due: datetime  # the due time of its first missing touch
    last_nudged_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozes: int = 0
    escalated_since: datetime | None = None  # the breach (overdue since) last escalated
    window_ends_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.next_touch_due <= now

    def waits_for_outcome(self, now: datetime, sla: SalesSla) -> bool:
        """Its window ended and its breach's escalation is past: nudged no more (DESIGN §2)."""
        return needs_outcome(
            window_ends_at=self.window_ends_at, next_touch_due=self.next_touch_due, sla=sla, now=now
        )

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now

    def escalated(self) -> bool:
        """Escalated for the breach it is in now: a touch since then starts a new one."""
        return self.escalated_since == self.next_touch_due


@dataclass(frozen=True)
class Nudge:
    """One direct message to one rep: their overdue leads, most overdue first, and on the
    morning's first message the touches falling due later today."""

    rep_id: str
    overdue: list[FollowUpLead]
    due_today: list[FollowUpLead] = field(default_factory=list)

    @property
    def shown(self) -> list[FollowUpLead]:
        return self.overdue[:SHOWN_IN_FULL]

    @property
    def more(self) -> int:
        return max(len(self.overdue) - SHOWN_IN_FULL, 0)


def plan_nudges(
    leads: Iterable[FollowUpLead],
    *,
    now: datetime,
    zones: Mapping[str, tzinfo],
    morning: timedelta,
    sla: SalesSla = DEFAULT_SLA,
) -> list[Nudge]:
    """One nudge per rep who is at work now and has overdue leads not nudged in 24 h and not
    snoozed; `morning` is how long after 09:00 the day's first run may come (the run interval),
    in which the message also lists the touches due later today. Reps without a known zone
    (`zones` lacks them) are left out: the caller reports them."""
    overdue: dict[str, list[FollowUpLead]] = {}
    due_today: dict[str, list[FollowUpLead]] = {}
    for lead in leads:
        tz = zones.get(lead.owner_id)
        if tz is None or not in_working_hours(now, tz) or lead.snoozed(now):
            continue
        if lead.waits_for_outcome(now, sla):
            continue  # in the owner's *needs an outcome* list: nothing is nudged for ever
        if lead.overdue(now):
            recent = lead.last_nudged_at is not None and now - lead.last_nudged_at < RENUDGE_AFTER
            # A snooze that ended since the last nudge asked to hear again at its end.
            woke = (
                lead.snoozed_until is not None
                and lead.last_nudged_at is not None
                and lead.last_nudged_at < lead.snoozed_until <= now
            )
            recent = recent and not woke
            if not recent:
                overdue.setdefault(lead.owner_id, []).append(lead)
        elif _first_run_of_day(now, tz, morning) and _later_today(lead.next_touch_due, now, tz):
            due_today.setdefault(lead.owner_id, []).append(lead)
    nudges = []
    for rep_id in sorted(set(overdue) | set(due_today)):
        mine = sorted(
            overdue.get(rep_id, []), key=lambda lead: (lead.next_touch_due, lead.external_id)
        )
        soon = sorted(
            due_today.get(rep_id, []), key=lambda lead: (lead.next_touch_due, lead.external_id)
        )
        nudges.append(Nudge(rep_id, mine, soon))
    return nudges


def _first_run_of_day(now: datetime, tz: tzinfo, morning: timedelta) -> bool:
    local = now.astimezone(tz)
    opening = datetime.combine(local.date(), WORK_STARTS).replace(tzinfo=tz)
    return opening <= local < opening + morning


def _later_today(moment: datetime, now: datetime, tz: tzinfo) -> bool:
    return now < moment and moment.astimezone(tz).date() == now.astimezone(tz).date()


@dataclass(frozen=True)
class RepEscalation:
    rep_id: str
    leads: list[FollowUpLead]  # most overdue first
    unmanaged: bool = False  # no manager Slack can reach: the recipient hears as an admin


@dataclass(frozen=True)
class Escalation:
    """One message to one manager (or admin): their reps' leads overdue past the limit."""

    manager_id: str
    reps: list[RepEscalation]
    to_admin: bool = False  # none of the reps has a manager: an admin hears instead

    @property
    def leads(self) -> list[FollowUpLead]:
        return [lead for rep in self.reps for lead in rep.leads]


def plan_escalations(
    leads: Iterable[FollowUpLead],
    *,
    now: datetime,
    escalate_after: timedelta,
    managers: Mapping[str, str | None],
    admins: Sequence[str],
    zones: Mapping[str, tzinfo],
) -> list[Escalation]:
    """Leads overdue longer than `escalate_after` (or snoozed for the third time) and not yet
    escalated for this breach, grouped by rep under each rep's manager — or the first admin
    (other than the rep) when a rep has none. Managers are reached in their working hours,
    like reps."""
    # One message per recipient: an admin who also manages reps hears about both in one.
    by_manager: dict[str, dict[str, list[FollowUpLead]]] = {}
    unmanaged: set[str] = set()
    for lead in leads:
        if not lead.overdue(now) or lead.escalated():
            continue
        if now - lead.next_touch_due <= escalate_after and lead.snoozes < SNOOZES_BEFORE_ESCALATION:
            continue
        manager = managers.get(lead.owner_id)
        if manager is None:  # an admin hears, but never about their own leads
            recipient = next((admin for admin in admins if admin != lead.owner_id), None)
        else:
            recipient = manager
        if recipient is None or recipient == lead.owner_id:
            continue
        tz = zones.get(recipient)
        if tz is None or not in_working_hours(now, tz):
            continue
        if manager is None:
            unmanaged.add(lead.owner_id)
        group = by_manager.setdefault(recipient, {})
        group.setdefault(lead.owner_id, []).append(lead)
    escalations = []
    for recipient, reps in sorted(by_manager.items()):
        ordered = [
            RepEscalation(
                rep_id,
                sorted(rows, key=lambda lead: (lead.next_touch_due, lead.external_id)),
                unmanaged=rep_id in unmanaged,
            )
            for rep_id, rows in reps.items()
        ]
        # The rep with the most overdue leads first, then the longest overdue.
        ordered.sort(key=lambda rep: (-len(rep.leads), rep.leads[0].next_touch_due, rep.rep_id))
        to_admin = all(rep.unmanaged for rep in ordered)
        escalations.append(Escalation(recipient, ordered, to_admin))
    return escalations


def batch_key(kind: str, recipient: str, leads: Iterable[FollowUpLead], day: date) -> str:
    """The posting key of one message: the same recipient, day and leads give the same key,
    so two runs (or two copies) planning the same message post it once."""
    items = sorted(f"{lead.external_id}@{lead.next_touch_due.isoformat()}" for lead in leads)
    digest = hashlib.sha256("|".join(items).encode()).hexdigest()[:16]
    return f"{kind}:{recipient}:{day.isoformat()}:{digest}"


def batch_recipient(key: str) -> str:
    """Whom the message with this `batch_key` was for."""
    return key.split(":", 2)[1]


@dataclass(frozen=True)
class FreshLead:
    """A sales-ready lead just given to its owner, as the speed-to-lead message shows it."""

    external_id: str
    owner_id: str
    name: str | None
    company: str | None
    fit: int | None
    interest: int | None
    source: str | None
    campaign: str | None
    first_touch_due: datetime | None
