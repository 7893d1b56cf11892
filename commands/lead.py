"""`/lead`: log touches and closed-loop feedback on a lead, see one lead or your open leads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.event_schema import (
    LeadAccepted,
    LeadEventIn,
    LeadLost,
    LeadRef,
    LeadRejected,
    LeadTouched,
    LeadWon,
)
from bot.ingest import ingest
from bot.rights import RightsUnknown, may_act_on_lead
from bot.services import Services
from bot.views import lead as views
from bot.views.format import slack_date
from bot.views.messages import Message, help_message, problem
from commands.parsing import ParseError, parse_amount, quoted
from domain.cadence import SalesSla
from domain.grading import LeadStatus
from storage import leads, workspace
from storage.models import Lead, LeadEvent

COMMAND = "/lead"
EXAMPLE = "/lead touch L-1001 call"
EXAMPLES = {
    "touch": "/lead touch L-1001 call left a voicemail",
    "accept": "/lead accept L-1001",
    "reject": "/lead reject L-1001 no budget this year",
    "won": "/lead won L-1001 $12,500",
    "lost": "/lead lost L-1001 chose a competitor",
    "show": "/lead L-1001",
    "mine": "/lead mine",
}
HELP_LINES = [
    "`/lead touch ID [call|email|meeting|social] [note]` — log a touch (a call unless you say).",
    "`/lead accept ID` · `/lead reject ID REASON` · `/lead won ID AMOUNT` · "
    "`/lead lost ID [REASON]` — tell marketing what became of a lead.",
    "`/lead ID` — one lead: its fields, touches against the SLA, next touch due, latest events.",
    "`/lead mine` — your open leads, most overdue first.",
]
Channel = Literal["call", "email", "meeting", "social"]
CHANNELS: dict[str, Channel] = {
    "call": "call",
    "email": "email",
    "meeting": "meeting",
    "social": "social",
}
CHANGES = ("touch", "accept", "reject", "won", "lost")
SUBCOMMANDS = (*CHANGES, "mine", "help")
HELP_WORDS = {"help", "?", "-h", "--help"}
MAX_NOTE = 1_000
MAX_REASON = 500
# lead.won keeps 16 digits with cents (Numeric(16, 2)).
MAX_WON = Decimal(10) ** 14


@dataclass(frozen=True)
class LeadRequest:
    """What a `/lead` text asks for; `action` is a subcommand, `show` or `help`."""

    action: str
    external_id: str = ""
    channel: Channel = "call"
    note: str | None = None
    reason: str | None = None
    amount: Decimal | None = None

    @property
    def example(self) -> str:
        return EXAMPLES.get(self.action, EXAMPLE)


class LeadProblem(ParseError):
    """A refusal, with the form of the command that would work."""

    def __init__(self, reason: str, *, example: str = EXAMPLE) -> None:
        super().__init__(reason)
        self.example = example


def _split(text: str) -> tuple[str, str]:
    """The first word and the rest, the rest kept as typed."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def parse(text: str) -> LeadRequest:
    """The subcommand and its arguments; a LeadProblem says what to fix."""
    word, rest = _split(text)
    action = word.lower()
    if not word or action in HELP_WORDS:
        return LeadRequest(action="help")
    if action == "mine":
        if rest:
            raise LeadProblem("`/lead mine` takes nothing after it", example=EXAMPLES["mine"])
        return LeadRequest(action="mine")
    if action not in CHANGES:
        if rest:
            raise LeadProblem(
                f"{quoted(word, limit=60)} is not something `/lead` does: use "
                + ", ".join(f"`{name}`" for name in SUBCOMMANDS)
                + ", or a lead id alone"
            )
        return LeadRequest(action="show", external_id=word)
    external_id, rest = _split(rest)
    if not external_id:
        raise LeadProblem(f"Give the id of the lead to {action}", example=EXAMPLES[action])
    if action == "touch":
        return _touch(external_id, rest)
    if action == "accept":
        if rest:
            raise LeadProblem("`/lead accept` takes just the lead id", example=EXAMPLES[action])
        return LeadRequest(action=action, external_id=external_id)
    if action == "reject":
        if not rest:
            raise LeadProblem(
                f"Say why you reject {quoted(external_id, limit=60)}: marketing needs the reason",
                example=EXAMPLES[action],
            )
        return LeadRequest(action=action, external_id=external_id, reason=_reason(rest, action))
    if action == "won":
        return LeadRequest(action=action, external_id=external_id, amount=_won_amount(rest))
    return LeadRequest(
        action=action, external_id=external_id, reason=_reason(rest, action) if rest else None
    )


def _touch(external_id: str, rest: str) -> LeadRequest:
    word, after = _split(rest)
    channel: Channel = "call"
    if word.lower() in CHANNELS:
        channel, rest = CHANNELS[word.lower()], after
    note = rest.strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise LeadProblem(
            f"The note is {len(note):,} characters; keep it to {MAX_NOTE:,}",
            example=EXAMPLES["touch"],
        )
    return LeadRequest(action="touch", external_id=external_id, channel=channel, note=note)


def _reason(text: str, action: str) -> str:
    reason = text.strip()
    if len(reason) > MAX_REASON:
        raise LeadProblem(
            f"The reason is {len(reason):,} characters; keep it to {MAX_REASON}",
            example=EXAMPLES[action],
        )
    return reason


def _won_amount(text: str) -> Decimal:
    tokens = text.split()
    if not tokens:
        raise LeadProblem("Give the amount the lead was won for", example=EXAMPLES["won"])
    if len(tokens) > 1:
        raise LeadProblem(
            f"Give one amount after the lead id, not {len(tokens)} words", example=EXAMPLES["won"]
        )
    try:
        value = parse_amount(tokens[0], what="amount")
    except ParseError as error:
        reason = str(error)
        raise LeadProblem(reason[:1].upper() + reason[1:], example=EXAMPLES["won"]) from error
    if (value * 100).denominator != 1:
        raise LeadProblem(
            f"Amount {quoted(tokens[0], limit=60)} has fractions of a cent", example=EXAMPLES["won"]
        )
    amount = Decimal(value.numerator) / Decimal(value.denominator)
    if amount >= MAX_WON:
        raise LeadProblem(
            f"Amount {quoted(tokens[0], limit=60)} is larger than a deal this bot records",
            example=EXAMPLES["won"],
        )
    return amount.quantize(Decimal("0.01"))


def event_for(request: LeadRequest, *, event_id: str, now: datetime) -> LeadEventIn:
    """The lead event a change stores: the same model a CRM's event is validated with."""
    lead = LeadRef(external_id=request.external_id)
    if request.action == "touch":
        return LeadTouched(
            id=event_id,
            type="lead.touched",
            occurred_at=now,
            lead=lead,
            channel=request.channel,
            note=request.note,
        )
    if request.action == "accept":
        return LeadAccepted(id=event_id, type="lead.accepted", occurred_at=now, lead=lead)
    if request.action == "reject" and request.reason is not None:
        return LeadRejected(
            id=event_id, type="lead.rejected", occurred_at=now, lead=lead, reason=request.reason
        )
    if request.action == "won" and request.amount is not None:
        return LeadWon(
            id=event_id, type="lead.won", occurred_at=now, lead=lead, amount=request.amount
        )
    if request.action == "lost":
        return LeadLost(
            id=event_id, type="lead.lost", occurred_at=now, lead=lead, reason=request.reason
        )
    raise ValueError(f"{request.action!r} is not a change to a lead")


def refused(request: LeadRequest, lead: Lead) -> str | None:
    """Why this change cannot apply to the lead as it stands, or None when it can."""
    label = views.lead_label(lead)
    status = LeadStatus(lead.status)
    if status.is_closed:
        when = f" on {slack_date(lead.closed_at)}" if lead.closed_at else ""
        return (
            f"{label} was already {status.value}{when}; a closed lead takes no more touches "
            "or feedback"
        )
    if request.action == "accept" and status == LeadStatus.ACCEPTED:
        when = f" on {slack_date(lead.accepted_at)}" if lead.accepted_at else ""
        return f"{label} was already accepted{when}"
    if request.action == "touch" and lead.assigned_at is None:
        return f"{label} has no owner yet, so a touch would count for no one; assign it first"
    return None


@dataclass(frozen=True)
class Found:
    lead: Lead | None
    sla: SalesSla
    already_logged: bool = False


async def _find(services: Services, external_id: str, *, event_id: str | None = None) -> Found:
    def read() -> Found:
        with services.db.session() as session:
            return Found(
                lead=leads.lead_by_external_id(session, external_id=external_id),
                sla=workspace.sales_sla(session),
                already_logged=event_id is not None
                and leads.event_logged(session, event_id=event_id),
            )

    return await services.in_thread(read)


def _no_such_lead(request: LeadRequest) -> Message:
    return problem(
        f"No lead has the id {quoted(request.external_id, limit=60)} "
        "(ids are the CRM's, e.g. `L-1001`)",
        example=request.example,
    )


async def show(services: Services, request: LeadRequest) -> Message:
    now = services.clock.now()

    def read() -> tuple[Lead | None, list[LeadEvent], SalesSla]:
        with services.db.session() as session:
            lead = leads.lead_by_external_id(session, external_id=request.external_id)
            events = (
                leads.recent_events(
                    session, external_id=request.external_id, limit=views.TIMELINE_EVENTS + 1
                )
                if lead is not None
                else []
            )
            return lead, events, workspace.sales_sla(session)

    lead, events, sla = await services.in_thread(read)
    if lead is None:
        return _no_such_lead(request)
    more = len(events) > views.TIMELINE_EVENTS
    return views.timeline(lead, events[: views.TIMELINE_EVENTS], sla=sla, now=now, more=more)


async def mine(services: Services, user_id: str) -> Message:
    now = services.clock.now()

    def read() -> tuple[leads.OpenLeads, SalesSla]:
        with services.db.session() as session:
            found = leads.open_leads_of(session, owner_id=user_id, limit=views.MINE_SHOWN)
            return found, workspace.sales_sla(session)

    found, sla = await services.in_thread(read)
    return views.mine(found.shown, total=found.total, sla=sla, now=now)


async def change(
    services: Services, request: LeadRequest, *, user_id: str, trigger_id: str
) -> Message:
    """Check, then store the change as a lead event; the projection moves as for a CRM event."""
    event_id = f"slack:{trigger_id}"
    found = await _find(services, request.external_id, event_id=event_id)
    lead = found.lead
    if lead is None:
        return _no_such_lead(request)
    now = services.clock.now()
    if found.already_logged:
        return views.already_recorded(lead, sla=found.sla, now=now)
    try:
        allowed = await may_act_on_lead(services, user_id, lead.owner_id)
    except RightsUnknown as error:
        return problem(
            f"Slack did not say who you are ({error}), so nothing was changed; try again shortly",
            example=request.example,
        )
    if not allowed:
        whose = f"<@{lead.owner_id}>'s lead" if lead.owner_id else "not assigned to you"
        return problem(
            f"{views.lead_label(lead)} is {whose}: only its owner, a manager or an admin can "
            f"{request.action} it",
            example=EXAMPLES["mine"],
        )
    reason = refused(request, lead)
    if reason is not None:
        return problem(reason, example=request.example)
    try:
        event = event_for(request, event_id=event_id, now=now)
    except ValidationError as error:
        message = error.errors()[0]["msg"] if error.errors() else "is not valid"
        return problem(
            f"That {request.action} cannot be stored: {message}", example=request.example
        )
    await ingest(services, [event], origin="slack", actor_id=user_id)
    after = await _find(services, request.external_id)
    assert after.lead is not None  # a lead row is never deleted
    return _changed(request, after.lead, sla=after.sla, now=now)


def _changed(request: LeadRequest, lead: Lead, *, sla: SalesSla, now: datetime) -> Message:
    if request.action == "touch":
        return views.touch_logged(lead, sla=sla, now=now)
    if request.action == "accept":
        return views.accepted(lead, sla=sla, now=now)
    if request.action == "reject":
        return views.rejected(lead)
    if request.action == "won":
        return views.won(lead)
    return views.lost(lead)


async def answer(services: Services, *, text: str, user_id: str, trigger_id: str) -> Message:
    """The whole reply to one `/lead`: help, a lead, the caller's leads, a change, or why not."""
    try:
        request = parse(text)
    except LeadProblem as error:
        return problem(str(error), example=error.example)
    if request.action == "help":
        return help_message("What /lead does", HELP_LINES, example=EXAMPLES["touch"])
    if request.action == "mine":
        return await mine(services, user_id)
    if request.action == "show":
        return await show(services, request)
    return await change(services, request, user_id=user_id, trigger_id=trigger_id)


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def lead_command(ack: AsyncAck, command: dict[str, str]) -> None:
        # Slack gives every slash command a unique trigger_id; the event id is made from it,
        # so a replayed request is recognised and stores nothing twice.
        trigger_id = command.get("trigger_id") or uuid.uuid4().hex
        reply = await answer(
            services,
            text=command.get("text", ""),
            user_id=command["user_id"],
            trigger_id=trigger_id,
        )
        await ack(response_type="ephemeral", **reply.to_dict())
