"""The `/lead` replies: one lead's timeline, a rep's open leads, and what a change did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.format import clip, escape, format_amount, shown, slack_date
from blocks.message import Message
from blocks.outcome_message import outcome_menu
from domain.cadence import SalesSla, is_overdue, needs_outcome
from domain.grading import Grade, LeadStatus, Refusal
from domain.lead_record import Lead, LeadEvent
from domain.lead_state import EventType

TIMELINE_EVENTS = 10
MINE_SHOWN = 20
_HEADER_MAX = 150  # Slack's limit for a header's plain text
_NOTE_MAX = 300  # a note or reason as shown in a timeline line
_ORIGIN = {"api": "from the CRM", "csv": "from a CSV import", "slack": "in Slack"}
_CHANNEL_VERB = {"call": "Call", "email": "E-mail", "meeting": "Meeting", "social": "Social"}


def lead_label(lead: Lead) -> str:
    """`L-1001 (Acme)`: the id people type, and what they recognise the lead by."""
    who = lead.company or lead.name
    label = f"*{shown(lead.external_id, 80)}*"
    return f"{label} ({shown(who, 80)})" if who else label


def refusal_text(why: Refusal, lead: Lead) -> str:
    """Why the lead, as it stands, takes no such change, in one line."""
    label = lead_label(lead)
    if why is Refusal.CLOSED:
        when = f" on {slack_date(lead.closed_at)}" if lead.closed_at else ""
        return (
            f"{label} was already {lead.status}{when}; a closed lead takes no more touches "
            "or feedback"
        )
    if why is Refusal.ALREADY_ACCEPTED:
        when = f" on {slack_date(lead.accepted_at)}" if lead.accepted_at else ""
        return f"{label} was already accepted{when}"
    return f"{label} has no owner yet, so a touch would count for no one; assign it first"


def owner_text(lead: Lead) -> str:
    if lead.owner_id:
        return f"<@{lead.owner_id}>"
    if lead.owner_email:
        return f"{shown(lead.owner_email, 80)} (no Slack user has this e-mail)"
    return "nobody yet"


def follow_up(lead: Lead, *, sla: SalesSla, now: datetime) -> str:
    """Where the lead stands on the sales SLA, in one phrase."""
    status = LeadStatus(lead.status)
    if status.is_closed:
        when = f" {slack_date(lead.closed_at)}" if lead.closed_at else ""
        return f"closed: {status.value}{when}"
    if lead.grade == Grade.AVOID.value:
        return "graded avoid: not worked under the SLA"
    if lead.duplicate_of:
        return f"a duplicate of {shown(lead.duplicate_of, 80)}: not worked; touches count there"
    if lead.owner_id is None:
        return "no owner yet, so no touch is due"
    if lead.grade == Grade.NURTURE.value:
        return "nurture: marketing's until its interest rises, so no touch is due"
    if lead.grade == Grade.UNGRADED.value:
        return "ungraded: no touch is due until it has a fit and an interest"
    if lead.window_ends_at is not None and needs_outcome(
        window_ends_at=lead.window_ends_at, next_touch_due=lead.next_touch_due, sla=sla, now=now
    ):
        short = "" if lead.next_touch_due is None else f" with {lead.touches} of {sla.touches}"
        return (
            f"window ended {slack_date(lead.window_ends_at)}{short}: needs an outcome "
            "(won, lost, reject or recycle)"
        )
    if lead.next_touch_due is None:
        return f"all {sla.touches} touches logged"
    touch = f"touch {lead.touches + 1} of {sla.touches}"
    if is_overdue(next_due=lead.next_touch_due, now=now):
        return f"overdue since {slack_date(lead.next_touch_due)} ({touch})"
    return f"{touch} due {slack_date(lead.next_touch_due)}"


def marker(lead: Lead, *, now: datetime) -> str:
    """An emoji for a worked lead: overdue, a touch due, or every touch in."""
    if LeadStatus(lead.status).is_closed or lead.owner_id is None or lead.window_ends_at is None:
        return ""  # not on a cadence
    if lead.window_ends_at <= now and lead.next_touch_due is None:
        return ":checkered_flag: "
    if lead.next_touch_due is None:
        return ":white_check_mark: "
    if is_overdue(next_due=lead.next_touch_due, now=now):
        return ":red_circle: "
    return ":large_green_circle: "


def done(line: str) -> Message:
    """A change went through: one line saying what was done and where the lead stands now."""
    return Message(text=line, blocks=[SectionBlock(text=MarkdownTextObject(text=line))])


def touch_logged(
    lead: Lead, *, sla: SalesSla, now: datetime, duplicate: str | None = None
) -> Message:
    """`duplicate`: the lead the touch was logged on, a duplicate of `lead`, where it counts."""
    label = lead_label(lead)
    if duplicate is not None:
        label += f", which {shown(duplicate, 80)} duplicates"
    if lead.touches > sla.touches:
        return done(
            f"Touch {lead.touches} logged on {label}; the SLA's {sla.touches} were already in."
        )
    logged = f"Touch {lead.touches} of {sla.touches} logged on {label}."
    if lead.next_touch_due is None:
        return done(f"{logged} All {sla.touches} touches are in: the SLA is met for this lead.")
    due = slack_date(lead.next_touch_due)
    if is_overdue(next_due=lead.next_touch_due, now=now):
        return done(f"{logged} Touch {lead.touches + 1} was due {due}: still overdue.")
    return done(f"{logged} Next touch due {due}.")


def accepted(lead: Lead, *, sla: SalesSla, now: datetime) -> Message:
    return done(f"Accepted {lead_label(lead)}. Now {follow_up(lead, sla=sla, now=now)}.")


def rejected(lead: Lead) -> Message:
    reason = shown(lead.reject_reason or "", _NOTE_MAX)
    return done(f"Rejected {lead_label(lead)} ({reason}). It is closed; marketing sees the reason.")


def won(lead: Lead) -> Message:
    amount = _amount(lead.won_amount)
    return done(f"Won {lead_label(lead)} for {amount}. It is closed and counts toward revenue.")


def recycled(lead: Lead) -> Message:
    reason = shown(lead.recycle_reason or "", _NOTE_MAX)
    return done(
        f"Recycled {lead_label(lead)} ({reason}): it is marketing's to nurture again, and off "
        "your list."
    )


def lost(lead: Lead) -> Message:
    reason = f" ({shown(lead.lost_reason, _NOTE_MAX)})" if lead.lost_reason else ""
    return done(f"Lost {lead_label(lead)}{reason}. It is closed; no more touches are due.")


def assigned(lead: Lead, *, sla: SalesSla, now: datetime) -> Message:
    next_step = follow_up(lead, sla=sla, now=now)
    return done(f"Assigned {lead_label(lead)} to <@{lead.owner_id}>. Now {next_step}.")


def already_recorded(lead: Lead, *, sla: SalesSla, now: datetime) -> Message:
    return done(
        f"That request was already recorded, so nothing was logged twice. "
        f"{lead_label(lead)}: {lead.touches} of {sla.touches} touches, "
        f"{follow_up(lead, sla=sla, now=now)}."
    )


def timeline(
    lead: Lead,
    events: Sequence[LeadEvent],
    *,
    sla: SalesSla,
    now: datetime,
    more: bool,
    crm_link: str | None = None,
) -> Message:
    """`/lead ID`: the lead's fields, its follow-up against the SLA, and its latest events;
    `crm_link`: its record in the CRM it came from."""
    title = lead.external_id + (
        f" · {lead.company or lead.name}" if lead.company or lead.name else ""
    )
    who = ", ".join(shown(part) for part in (lead.name, lead.company) if part) or "—"
    scores = f"fit {_score(lead.fit)} · interest {_score(lead.interest)}"
    fields = [
        ("Lead", who),
        ("E-mail", shown(lead.email) if lead.email else "—"),
        ("Status", lead.status),
        ("Grade", f"{lead.grade} ({scores})"),
        ("Owner", owner_text(lead)),
        ("Touches", f"{lead.touches} of {sla.touches} (in {sla.days} days)"),
        ("Source", shown(lead.source) if lead.source else "—"),
        ("Campaign", shown(lead.campaign) if lead.campaign else "—"),
        ("Persona", shown(lead.persona) if lead.persona else "—"),
    ]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, _HEADER_MAX))),
        SectionBlock(
            fields=[MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in fields]
        ),
        SectionBlock(text=MarkdownTextObject(text=_standing(lead, sla=sla, now=now))),
    ]
    notes = _notes(lead)
    if crm_link is not None:
        notes.append(f"<{crm_link}|Open in the CRM>")
    if notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" · ".join(notes))]))
    blocks.append(DividerBlock())
    heading = f"*Latest {len(events)} events*" if more else "*Activity*"
    if not events:
        heading = "*Activity*\nNothing logged yet."
    blocks.append(SectionBlock(text=MarkdownTextObject(text=heading)))
    blocks.extend(
        ContextBlock(elements=[MarkdownTextObject(text=event_line(event))]) for event in events
    )
    text = f"{lead.external_id}: {lead.status}, {lead.touches} of {sla.touches} touches"
    return Message(text=text, blocks=blocks)


def _score(value: int | None) -> str:
    return "—" if value is None else str(value)


def found(text: str, leads: Sequence[Lead], *, more: bool) -> Message:
    """`/lead TEXT`: the leads whose e-mail, name or company starts with it, with their ids."""
    heading = f"Leads matching “{clip(text, 60)}”"
    lines = [
        f"{_first(lead)}"
        + (f" · {shown(lead.email, 80)}" if lead.email else "")
        + f" · {lead.grade} · {lead.status} · {owner_text(lead)}"
        for lead in leads
    ]
    footer = "`/lead ID` shows one of them."
    if more:
        footer = f"The first {len(leads)} shown: type more of the name to narrow it. " + footer
    text_line = f"{len(leads)}{'+' if more else ''} leads match: " + ", ".join(
        lead.external_id for lead in leads
    )
    return _listing(heading, lines, more=0, footer=footer, text=text_line)


def _standing(lead: Lead, *, sla: SalesSla, now: datetime) -> str:
    status = LeadStatus(lead.status)
    if status == LeadStatus.WON:
        return f":trophy: Won for {_amount(lead.won_amount)} {_on(lead.closed_at)}."
    if status == LeadStatus.REJECTED:
        reason = shown(lead.reject_reason or "no reason given", _NOTE_MAX)
        return f":no_entry_sign: Rejected {_on(lead.closed_at)}: {reason}."
    if status == LeadStatus.LOST:
        reason = f": {shown(lead.lost_reason, _NOTE_MAX)}" if lead.lost_reason else ""
        return f":heavy_multiplication_x: Lost {_on(lead.closed_at)}{reason}."
    if status == LeadStatus.RECYCLED:
        reason = shown(lead.recycle_reason or "no reason given", _NOTE_MAX)
        return f":recycle: Recycled to marketing {_on(lead.closed_at)}: {reason}."
    phrase = follow_up(lead, sla=sla, now=now)
    line = marker(lead, now=now) + phrase[:1].upper() + phrase[1:] + "."
    if lead.sla_met_at is not None:
        line += f" SLA met {slack_date(lead.sla_met_at)}."
    return line


def _notes(lead: Lead) -> list[str]:
    notes = []
    if lead.duplicate_of:
        notes.append(f"Duplicate of *{shown(lead.duplicate_of, 80)}*: not counted toward the SLA")
    if lead.missing:
        notes.append(f"Incomplete: no {lead.missing.replace(',', ', ')}")
    if lead.assigned_at is not None:
        notes.append(f"Assigned {slack_date(lead.assigned_at)}")
    if lead.cadence_from is not None and lead.cadence_from != lead.assigned_at:
        notes.append(f"Sales-ready and on the cadence since {slack_date(lead.cadence_from)}")
    notes.append(f"Created {slack_date(lead.created_at)}")
    return notes


def _on(moment: datetime | None) -> str:
    return f"on {slack_date(moment)}" if moment else ""


def event_line(event: LeadEvent) -> str:
    """One line of the timeline: when, what, by whom."""
    data = event.payload
    by = f"by <@{event.actor_id}>" if event.actor_id else _ORIGIN.get(event.origin, "")
    return f"{slack_date(event.occurred_at)} · {_what(event.type, data)} {by}".rstrip()


def _what(type_: str, data: Mapping[str, Any]) -> str:
    if type_ == EventType.TOUCHED:
        channel = str(data.get("channel") or "call")
        note = data.get("note")
        said = f" — “{shown(str(note), _NOTE_MAX)}”" if note else ""
        return f"*{_CHANNEL_VERB.get(channel, escape(channel))}*{said}"
    if type_ == EventType.ASSIGNED:
        if data.get("owner_id"):
            return f"*Assigned* to <@{data['owner_id']}>"
        return f"*Assigned* to {shown(str(data.get('owner_email') or 'nobody'), 80)}"
    if type_ == EventType.CREATED:
        return "*Created*"
    if type_ == EventType.UPDATED:
        changed = sorted(name for name in data.get("lead", {}) if name != "external_id")
        return f"*Updated* {', '.join(changed)}" if changed else "*Updated*"
    if type_ == EventType.ACCEPTED:
        return "*Accepted*"
    if type_ == EventType.REJECTED:
        return f"*Rejected* — “{shown(str(data.get('reason') or ''), _NOTE_MAX)}”"
    if type_ == EventType.WON:
        return f"*Won* {_amount(data.get('amount'))}"
    if type_ == EventType.LOST:
        reason = data.get("reason")
        return f"*Lost* — “{shown(str(reason), _NOTE_MAX)}”" if reason else "*Lost*"
    if type_ == EventType.RECYCLED:
        return f"*Recycled* — “{shown(str(data.get('reason') or ''), _NOTE_MAX)}”"
    return f"*{escape(type_)}*"


def _amount(value: object) -> str:
    try:
        return format_amount(Fraction(Decimal(str(value))), cents=True)
    except (InvalidOperation, ValueError):
        return "an unknown amount"


def mine(
    leads: Sequence[Lead],
    *,
    total: int,
    sla: SalesSla,
    now: datetime,
    needs_outcome: Sequence[Lead] = (),
    needs_outcome_total: int = 0,
) -> Message:
    """`/lead mine`: the caller's leads on a cadence, most overdue first, then those whose
    window ended and need an outcome (each with the outcome menu); the rest counted."""
    if total == 0 and needs_outcome_total == 0:
        line = "You have no open leads. New ones show up here as soon as they are assigned to you."
        return done(line)
    overdue = sum(1 for lead in leads if is_overdue(next_due=lead.next_touch_due, now=now))
    heading = f"Your open leads ({total})"
    lines = [
        f"{_first(lead)} · {lead.grade} · {lead.status} · {lead.touches} of {sla.touches} "
        f"touches\n{marker(lead, now=now)}{follow_up(lead, sla=sla, now=now)}"
        for lead in leads
    ]
    more = total - len(leads)
    text = f"{heading}: {overdue} overdue among the {len(leads)} shown."
    if more > 0:
        text += f" And {more} more."
    if needs_outcome_total:
        text += f" {needs_outcome_total} need an outcome."
    footer = "Most overdue first. `/lead ID` shows one lead's timeline."
    message = _listing(heading, lines, more=more, footer=footer, text=text)
    if not needs_outcome:
        return message
    blocks = list(message.blocks)
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Needs an outcome ({needs_outcome_total})* — the window ended: say what "
                "became of each"
            )
        )
    )
    blocks.extend(
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{_first(lead)} · {lead.touches} of {sla.touches} touches\n"
                f"{follow_up(lead, sla=sla, now=now)}"
            ),
            accessory=outcome_menu(lead.external_id),
        )
        for lead in needs_outcome
    )
    if needs_outcome_total > len(needs_outcome):
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {needs_outcome_total - len(needs_outcome)} more: "
                        "`/lead won ID AMOUNT`, `lost`, `reject` or `recycle` close them."
                    )
                ]
            )
        )
    return Message(text=message.text, blocks=blocks)


def _why_unowned(lead: Lead) -> str:
    if lead.owner_email:
        return f"owner {shown(lead.owner_email, 80)} is not in Slack"
    return "no owner"


def _first(lead: Lead) -> str:
    """A listed lead's id in bold, with its person and company."""
    who = ", ".join(shown(part, 80) for part in (lead.name, lead.company) if part)
    return f"*{shown(lead.external_id, 80)}*" + (f" {who}" if who else "")


def _listing(heading: str, lines: list[str], *, more: int, footer: str, text: str) -> Message:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=heading))]
    blocks.extend(SectionBlock(text=MarkdownTextObject(text=line)) for line in lines)
    if more > 0:
        footer = f"…and {more} more. " + footer
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return Message(text=text, blocks=blocks)


def unassigned(leads: Sequence[Lead], *, total: int, now: datetime) -> Message:
    """`/lead unassigned`: leads in work no rep owns, oldest first, the rest counted."""
    if total == 0:
        return done("No lead is waiting for an owner: every lead in work has a rep.")
    heading = f"Leads without an owner ({total})"
    lines = [
        f"{_first(lead)} · {lead.grade} · {_why_unowned(lead)} · created "
        f"{slack_date(lead.created_at)}"
        for lead in leads
    ]
    more = total - len(leads)
    text = f"{heading}: the oldest {len(leads)} shown." if more > 0 else f"{heading}."
    footer = "Oldest first. `/lead assign ID @rep` hands one to a rep."
    return _listing(heading, lines, more=more, footer=footer, text=text)
