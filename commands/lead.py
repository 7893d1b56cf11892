"""`/lead`: log touches and closed-loop feedback on a lead, see one lead or your open leads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import lead_message as views
from blocks.message import Message, help_message, problem
from commands.parsing import ParseError, parse_amount, quoted, user_id_of
from domain.lead_record import Lead
from services import lead_changes, lead_reads
from services.context import Services
from services.lead_changes import (
    ACTIONS,
    CHANNELS,
    MAX_NOTE,
    MAX_REASON,
    Channel,
    LeadChange,
    Outcome,
    Result,
)
from services.people import RightsUnknown, may_assign

COMMAND = "/lead"
EXAMPLE = "/lead touch L-1001 call"
EXAMPLES = {
    "touch": "/lead touch L-1001 call left a voicemail",
    "accept": "/lead accept L-1001",
    "reject": "/lead reject L-1001 no budget this year",
    "won": "/lead won L-1001 $12,500",
    "lost": "/lead lost L-1001 chose a competitor",
    "recycle": "/lead recycle L-1001 not ready until Q3",
    "show": "/lead L-1001",
    "mine": "/lead mine",
    "assign": "/lead assign L-1001 @ana",
    "unassigned": "/lead unassigned",
}
HELP_LINES = [
    "`/lead touch ID [call|email|meeting|social] [note]` — log a touch (a call unless you say).",
    "`/lead accept ID` · `/lead reject ID REASON` · `/lead won ID AMOUNT` · "
    "`/lead lost ID [REASON]` — tell marketing what became of a lead.",
    "`/lead recycle ID REASON` — hand a lead back to marketing to nurture, with the reason.",
    "`/lead ID` — one lead: its fields, touches against the SLA, next touch due, latest events.",
    "`/lead NAME`, `/lead E-MAIL` or `/lead COMPANY` — find leads (ten at most, with their ids).",
    "`/lead mine` — your open leads, most overdue first, then those that need an outcome.",
    "`/lead unassigned` · `/lead assign ID @rep` — leads no rep owns, and handing one to a rep "
    "(managers and admins).",
]
CHANGES = ACTIONS
# What each change does to a lead, as a sentence says it ("can mark it won").
DOING = {
    "touch": "log a touch on it",
    "accept": "accept it",
    "reject": "reject it",
    "won": "mark it won",
    "lost": "mark it lost",
    "recycle": "recycle it",
    "assign": "assign it",
}
SUBCOMMANDS = (*CHANGES, "mine", "unassigned", "help")
HELP_WORDS = {"help", "?", "-h", "--help"}
MAX_SEARCH = 255  # a lead id's length; a name or company searched is shorter still
# lead.won keeps 16 digits with cents (Numeric(16, 2)).
MAX_WON = Decimal(10) ** 14


@dataclass(frozen=True)
class LeadRequest(LeadChange):
    """What a `/lead` text asks for: a change to a lead, or (`action`) `show`, `mine` or
    `help`."""

    external_id: str = ""

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
    if action in {"mine", "unassigned"}:
        if rest:
            raise LeadProblem(f"`/lead {action}` takes nothing after it", example=EXAMPLES[action])
        return LeadRequest(action=action)
    if action not in CHANGES:
        # A lead's id, or what someone remembers of it: a name, an e-mail, a company.
        return LeadRequest(action="show", external_id=" ".join(text.split())[:MAX_SEARCH])
    external_id, rest = _split(rest)
    if not external_id:
        raise LeadProblem(f"Give the id of the lead to {action}", example=EXAMPLES[action])
    if action == "touch":
        return _touch(external_id, rest)
    if action == "accept":
        if rest:
            raise LeadProblem("`/lead accept` takes just the lead id", example=EXAMPLES[action])
        return LeadRequest(action=action, external_id=external_id)
    if action in {"reject", "recycle"}:
        if not rest:
            raise LeadProblem(
                f"Say why you {action} {quoted(external_id, limit=60)}: marketing needs the "
                "reason",
                example=EXAMPLES[action],
            )
        return LeadRequest(action=action, external_id=external_id, reason=_reason(rest, action))
    if action == "won":
        return LeadRequest(action=action, external_id=external_id, amount=_won_amount(rest))
    if action == "assign":
        return LeadRequest(action=action, external_id=external_id, owner_id=_assignee(rest))
    return LeadRequest(
        action=action, external_id=external_id, reason=_reason(rest, action) if rest else None
    )


def _touch(external_id: str, rest: str) -> LeadRequest:
    word, after = _split(rest)
    channel: Channel = "call"
    for known in CHANNELS:
        if word.lower() == known:
            channel, rest = known, after
    note = rest.strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise LeadProblem(
            f"The note is {len(note):,} characters; keep it to {MAX_NOTE:,}",
            example=EXAMPLES["touch"],
        )
    return LeadRequest(action="touch", external_id=external_id, channel=channel, note=note)


def _assignee(text: str) -> str:
    tokens = text.split()
    if len(tokens) != 1:
        raise LeadProblem("Name the one rep the lead goes to", example=EXAMPLES["assign"])
    try:
        return user_id_of(tokens[0])
    except ParseError as error:
        raise LeadProblem(str(error), example=EXAMPLES["assign"]) from None


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


def _no_such_lead(request: LeadRequest) -> Message:
    return problem(
        f"No lead has the id {quoted(request.external_id, limit=60)} "
        "(ids are the CRM's, e.g. `L-1001`)",
        example=request.example,
    )


async def show(services: Services, request: LeadRequest) -> Message:
    """One lead by its id; else the leads whose e-mail, name or company starts with the text;
    else the ids it may have meant."""
    found = await lead_reads.timeline(services, request.external_id, events=views.TIMELINE_EVENTS)
    if found is not None:
        return views.timeline(
            found.lead,
            found.events,
            sla=found.sla,
            now=services.clock.now(),
            more=found.more,
            crm_link=found.crm_link,
        )
    matches = await lead_reads.search(services, request.external_id)
    if matches.leads:
        return views.found(request.external_id, matches.leads, more=matches.more)
    if matches.did_you_mean:
        meant = " or ".join(f"`{one}`" for one in matches.did_you_mean)
        return problem(
            f"No lead is {quoted(request.external_id, limit=60)}: did you mean {meant}?",
            example=f"/lead {matches.did_you_mean[0]}",
        )
    word, rest = _split(request.external_id)
    if rest:  # perhaps a subcommand mistyped, rather than a name
        return problem(
            f"{quoted(word, limit=60)} is not something `/lead` does: use "
            + ", ".join(f"`{name}`" for name in SUBCOMMANDS)
            + "; and no lead's name, e-mail or company starts with "
            + quoted(request.external_id, limit=60),
            example=EXAMPLE,
        )
    return problem(
        f"No lead has the id {quoted(request.external_id, limit=60)}, and none has an e-mail, "
        "name or company starting with it",
        example="/lead L-1001 · /lead jane@acme.com · /lead Acme",
    )


async def mine(services: Services, user_id: str) -> Message:
    found = await lead_reads.open_leads(services, user_id, shown=views.MINE_SHOWN)
    return views.mine(
        found.leads,
        total=found.total,
        sla=found.sla,
        now=services.clock.now(),
        needs_outcome=found.needs_outcome,
        needs_outcome_total=found.needs_outcome_total,
    )


async def unassigned(services: Services, user_id: str) -> Message:
    try:
        allowed = await may_assign(services, user_id)
    except RightsUnknown as error:
        return problem(
            f"Slack did not say who you are ({error}), so the queue is not shown; try again "
            "shortly",
            example=EXAMPLES["unassigned"],
        )
    if not allowed:
        return problem(
            "Only managers and admins see the unassigned queue and hand leads out; "
            "your own leads are in `/lead mine`",
            example=EXAMPLES["mine"],
        )
    found = await lead_reads.unassigned(services, shown=views.MINE_SHOWN)
    return views.unassigned(found.leads, total=found.total, now=services.clock.now())


async def change(
    services: Services, request: LeadRequest, *, user_id: str, trigger_id: str
) -> Message:
    """Store the change once (lead_changes.apply), and say what became of it."""
    # Slack gives every slash command a unique trigger_id; the event id is made from it, so
    # a replayed request is recognised and stores nothing twice.
    outcome = await lead_changes.apply(
        services, request, actor_id=user_id, event_id=lambda _: f"slack:{trigger_id}"
    )
    lead, now = outcome.lead, services.clock.now()
    if lead is None:
        return _no_such_lead(request)
    match outcome.result:
        case Result.ALREADY_STORED:
            return views.already_recorded(lead, sla=outcome.sla, now=now)
        case Result.RIGHTS_UNKNOWN:
            return problem(
                f"Slack did not say who you are ({outcome.detail}), so nothing was changed; "
                "try again shortly",
                example=request.example,
            )
        case Result.NOT_ALLOWED if request.action == "assign":
            return problem(
                "Only managers and admins hand leads to reps; nothing was assigned",
                example=EXAMPLES["mine"],
            )
        case Result.NOT_ALLOWED:
            whose = f"<@{lead.owner_id}>'s lead" if lead.owner_id else "not assigned to you"
            return problem(
                f"{views.lead_label(lead)} is {whose}: only its owner, a manager or an admin "
                f"can {DOING[request.action]}",
                example=f"/lead {request.external_id}",  # what anyone may do: read it
            )
        case Result.REFUSED if outcome.refusal is not None:
            return problem(views.refusal_text(outcome.refusal, lead), example=request.example)
        case Result.INVALID:
            return problem(
                f"That {request.action} cannot be stored: {outcome.detail}",
                example=request.example,
            )
    return _changed(request, outcome, lead, now=now)


def _changed(request: LeadRequest, outcome: Outcome, lead: Lead, *, now: datetime) -> Message:
    sla = outcome.sla
    if request.action == "touch":
        return views.touch_logged(lead, sla=sla, now=now, duplicate=outcome.duplicate)
    if request.action == "accept":
        return views.accepted(lead, sla=sla, now=now)
    if request.action == "reject":
        return views.rejected(lead)
    if request.action == "won":
        return views.won(lead)
    if request.action == "assign":
        return views.assigned(lead, sla=sla, now=now)
    if request.action == "recycle":
        return views.recycled(lead)
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
    if request.action == "unassigned":
        return await unassigned(services, user_id)
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
