"""What people do to a lead from Slack — log a touch, accept, reject, won, lost, recycle or
assign — written once for every entry point (`/lead`, App Home's and a nudge's buttons, modals).

A change is found, checked and stored in one order: the lead must exist; the person must be its
owner, a manager or an admin (asked of Slack each time); a change already stored under its
idempotency id is not stored again; a closed lead takes no more; a button drawn before the lead
moved on does nothing. What is left is stored as a lead event, as a CRM's would be, so the
projection moves the same way. Each entry point says the `Outcome` in its own words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Literal

from pydantic import ValidationError

from domain.cadence import SalesSla
from domain.grading import Refusal, refusal
from domain.lead_record import Lead as LeadShown
from services.context import Services
from services.ingestion import ingest
from services.lead_events import (
    LeadAccepted,
    LeadAssigned,
    LeadEventIn,
    LeadLost,
    LeadRecycled,
    LeadRef,
    LeadRejected,
    LeadTouched,
    LeadWon,
    Owner,
)
from services.people import RightsUnknown, may_act_on_lead, may_assign, slack_user
from storage import leads, workspace
from storage.models import Lead

Channel = Literal["call", "email", "meeting", "social"]
CHANNELS: tuple[Channel, ...] = ("call", "email", "meeting", "social")
ACTIONS = ("touch", "accept", "reject", "won", "lost", "recycle", "assign")
MAX_NOTE = 1_000
MAX_REASON = 500
_EVENT_ID_MAX = 255  # lead_event.event_id


@dataclass(frozen=True)
class LeadChange:
    """One change to one lead: `action` is one of ACTIONS."""

    action: str
    external_id: str
    channel: Channel = "call"
    note: str | None = None
    reason: str | None = None
    amount: Decimal | None = None
    owner_id: str | None = None  # assign: the rep the lead goes to


def refused(action: str, lead: Lead) -> Refusal | None:
    return refusal(action, status=lead.status, assigned=lead.assigned_at is not None)


class Result(Enum):
    DONE = "done"
    NO_SUCH_LEAD = "no such lead"
    RIGHTS_UNKNOWN = "Slack did not say who the person is"
    NOT_ALLOWED = "not allowed"
    ALREADY_STORED = "already stored"
    REFUSED = "refused"
    MOVED_ON = "the lead moved on"
    INVALID = "invalid"


@dataclass(frozen=True)
class Outcome:
    """What became of a change: the lead as it stands now (None: no such lead) and its SLA."""

    result: Result
    lead: Lead | None
    sla: SalesSla
    refusal: Refusal | None = None
    detail: str = ""  # Slack's error for RIGHTS_UNKNOWN; what is invalid for INVALID
    duplicate: str | None = None  # a touch on this duplicate was counted on `lead`, its original

    @property
    def stopped(self) -> bool:
        return self.result is not Result.DONE


EventId = Callable[[Lead], str]


def touch_event_id(lead: LeadShown, *, touches_shown: int) -> str:
    """The id of the touch a button logs: touch n+1 of this assignment of this lead.

    Made from what the button showed, not from the click, so every click on one version of a
    Home or a nudge — a double click, Slack's retry, the rep and their manager on the same stale
    button — names the same event, and the event log's unique id keeps just one. Re-assignment
    restarts the count, so the assignment time is part of the id."""
    return _bounded(f"slack:home:{lead.external_id}:{_assigned(lead)}:touch-{touches_shown + 1}")


def reject_event_id(lead: LeadShown, *, touches_shown: int) -> str:
    """The id of the rejection a nudge's Reject button stands for: one per assignment of the
    lead and touches shown, however many times the modal is submitted or opened again."""
    return _bounded(
        f"slack:nudge:{lead.external_id}:{_assigned(lead)}:reject-after-{touches_shown}"
    )


def outcome_event_id(lead: LeadShown) -> str:
    """The id of an outcome given from the outcome menu: one per assignment of the lead, so a
    second submission — of the same outcome or another — stores nothing more."""
    return _bounded(f"slack:outcome:{lead.external_id}:{_assigned(lead)}")


def _assigned(lead: LeadShown) -> int | str:
    return int(lead.assigned_at.timestamp()) if lead.assigned_at else "unassigned"


def _bounded(event_id: str) -> str:
    if len(event_id) <= _EVENT_ID_MAX:
        return event_id
    prefix = event_id[: event_id.index(":", len("slack:")) + 1]
    return prefix + hashlib.sha256(event_id.encode()).hexdigest()


def event_for(change: LeadChange, *, event_id: str, now: datetime) -> LeadEventIn:
    """The lead event a change stores: the same model a CRM's event is validated with."""
    lead = LeadRef(external_id=change.external_id)
    if change.action == "touch":
        return LeadTouched(
            id=event_id,
            type="lead.touched",
            occurred_at=now,
            lead=lead,
            channel=change.channel,
            note=change.note,
        )
    if change.action == "accept":
        return LeadAccepted(id=event_id, type="lead.accepted", occurred_at=now, lead=lead)
    if change.action == "reject" and change.reason is not None:
        return LeadRejected(
            id=event_id, type="lead.rejected", occurred_at=now, lead=lead, reason=change.reason
        )
    if change.action == "won" and change.amount is not None:
        return LeadWon(
            id=event_id, type="lead.won", occurred_at=now, lead=lead, amount=change.amount
        )
    if change.action == "assign" and change.owner_id is not None:
        return LeadAssigned(
            id=event_id,
            type="lead.assigned",
            occurred_at=now,
            lead=lead,
            owner=Owner(slack_user_id=change.owner_id),
        )
    if change.action == "recycle" and change.reason is not None:
        return LeadRecycled(
            id=event_id, type="lead.recycled", occurred_at=now, lead=lead, reason=change.reason
        )
    if change.action == "lost":
        return LeadLost(
            id=event_id, type="lead.lost", occurred_at=now, lead=lead, reason=change.reason
        )
    raise ValueError(f"{change.action!r} is not a change to a lead")


@dataclass(frozen=True)
class Found:
    lead: Lead | None
    sla: SalesSla
    stored: bool = False  # the event this change would store is in the log already


async def find(services: Services, external_id: str, *, event_id: EventId | None = None) -> Found:
    """The lead, the sales SLA, and whether the change named by `event_id` was stored."""

    def read() -> Found:
        with services.db.session() as session:
            lead = leads.lead_by_external_id(session, external_id=external_id)
            stored = (
                lead is not None
                and event_id is not None
                and leads.event_logged(session, event_id=event_id(lead))
            )
            return Found(lead=lead, sla=workspace.sales_sla(session), stored=stored)

    return await services.in_thread(read)


async def check(
    services: Services,
    *,
    actor_id: str,
    external_id: str,
    action: str,
    event_id: EventId | None = None,
) -> Outcome:
    """Everything but storing: DONE means `actor_id` may now `action` the lead (a change, or
    `snooze`); any other result says why not."""
    found = await find(services, external_id, event_id=event_id)
    lead, sla = found.lead, found.sla
    if lead is None:
        return Outcome(Result.NO_SUCH_LEAD, None, sla)
    try:
        allowed = (
            await may_assign(services, actor_id)
            if action == "assign"
            else await may_act_on_lead(services, actor_id, lead.owner_id)
        )
    except RightsUnknown as error:
        return Outcome(Result.RIGHTS_UNKNOWN, lead, sla, detail=str(error))
    if not allowed:
        return Outcome(Result.NOT_ALLOWED, lead, sla)
    if found.stored:
        return Outcome(Result.ALREADY_STORED, lead, sla)
    why = refused(action, lead)
    if why is not None:
        return Outcome(Result.REFUSED, lead, sla, refusal=why)
    return Outcome(Result.DONE, lead, sla)


async def apply(
    services: Services,
    change: LeadChange,
    *,
    actor_id: str,
    event_id: EventId,
    touches_shown: int | None = None,
) -> Outcome:
    """Check, then store the change once. `touches_shown`: the touches the button showed; a
    lead that has more or fewer now has moved on, and nothing is stored."""
    checked = await check(
        services,
        actor_id=actor_id,
        external_id=change.external_id,
        action=change.action,
        event_id=event_id,
    )
    lead = checked.lead
    if checked.stopped or lead is None:
        return checked
    if touches_shown is not None and lead.touches != touches_shown:
        return Outcome(Result.MOVED_ON, lead, checked.sla)
    if change.action == "assign":
        problem = await _assignee_problem(services, change.owner_id, lead)
        if problem is not None:
            result, detail = problem
            return Outcome(result, lead, checked.sla, detail=detail)
    stored_as = event_id(lead)
    now = services.clock.now()
    duplicate = None
    if change.action == "touch" and lead.duplicate_of is not None:
        original = (await find(services, lead.duplicate_of)).lead
        if original is not None and refused("touch", original) is None:
            # A duplicate is never worked twice (DESIGN §2): its touch counts on the original.
            duplicate = lead.external_id
            said = f": {change.note}" if change.note else ""
            note = f"logged on {duplicate}, a duplicate{said}"
            change = replace(change, external_id=original.external_id, note=note[:MAX_NOTE])
    try:
        event = event_for(change, event_id=stored_as, now=now)
    except ValidationError as error:
        message = error.errors()[0]["msg"] if error.errors() else "is not valid"
        return Outcome(Result.INVALID, lead, checked.sla, detail=message)
    ingested = await ingest(services, [event], origin="slack", actor_id=actor_id)
    after = await find(services, change.external_id)
    assert after.lead is not None  # a lead row is never deleted
    if stored_as in ingested.result.duplicates:  # a press that came in at the same moment
        return Outcome(Result.ALREADY_STORED, after.lead, after.sla, duplicate=duplicate)
    return Outcome(Result.DONE, after.lead, after.sla, duplicate=duplicate)


async def _assignee_problem(
    services: Services, owner_id: str | None, lead: Lead
) -> tuple[Result, str] | None:
    """Why the lead cannot go to `owner_id`: not a person in the workspace, or theirs already
    (assigning again would restart its SLA window)."""
    if owner_id is None:
        return Result.INVALID, "name the rep it goes to"
    if owner_id == lead.owner_id:
        return Result.INVALID, f"it is <@{owner_id}>'s lead already"
    try:
        person = await slack_user(services, owner_id)
    except RightsUnknown as error:
        return Result.RIGHTS_UNKNOWN, str(error)
    if person is None or person.deleted or person.bot:
        return Result.INVALID, f"<@{owner_id}> is not a person in this workspace"
    return None
